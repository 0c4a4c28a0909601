using System.Diagnostics;
using System.Globalization;
using Gumshoe.Engine.Analytics;
using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Events;

namespace Gumshoe.LoginBench;

/// <summary>
/// Login analytics benchmark: <c>eval</c> generates a labelled synthetic organisation and scores it with the production
/// <see cref="LoginAnalyzer"/>; <c>speed</c> times one login's scoring; <c>memory</c> measures a million profiles.
/// </summary>
public static class Program
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "eval";
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], Inv) : fallback;
        var users = Arg("--users", 2000);
        var days = Arg("--days", 90);
        var seed = Arg("--seed", 2);
        var episodes = Arg("--episodes", 240);
        Threshold = Arg("--threshold-pct", 50) / 100.0;
        switch (mode)
        {
            case "eval": Evaluate(users, days, seed, episodes); return 0;
            case "fit": Fit(users, days, seed, episodes, Arg("--budget-x10", 45) / 10.0, Arg("--pos-weight", 50)); return 0;
            case "speed": Speed(users, days, seed, episodes, Arg("--rounds", 3)); return 0;
            case "memory": Memory(Arg("--profiles", 1_000_000)); return 0;
            default: Console.Error.WriteLine("usage: Gumshoe.LoginBench eval|fit|speed|memory [--users N] [--days N] [--seed N] [--episodes N]"); return 2;
        }
    }

    /// <summary>The analyzer settings the benchmark runs (the example config's, with the organisation's own VPN allow-listed).</summary>
    public static LoginAnalyzerOptions Options(int seed) => new()
    {
        Seed = (ulong)seed,
        Threshold = Threshold,
        // impossible travel weighs into the combined score rather than alerting on its own: mobile carriers and VPN
        // exits make raw travel too noisy for an alert budget of 5 per 1,000 users a day
        Travel = new TravelOptions { AllowAsns = new HashSet<long> { World.CorporateVpn.Asn }, Findings = FindingMode.Flagged },
    };

    private static double Threshold = 0.5;

    private static void Evaluate(int users, int days, int seed, int episodes)
    {
        var sw = Stopwatch.StartNew();
        var data = new LoginGenerator(users, days, seed, episodes).Generate();
        var gen = sw.Elapsed;
        var label = data.Where(d => d.Success).ToDictionary(d => d.Event.GetString("event.id")!, d => d);
        var scores = new List<(LoginScore S, LabelledLogin L)>();
        var analyzer = new LoginAnalyzer(Options(seed));
        analyzer.Scored += s => scores.Add((s, label[s.EventId!]));
        var findings = 0;
        sw.Restart();
        foreach (var d in data) analyzer.Analyze(d.Event, _ => findings++);
        var run = sw.Elapsed;
        var positives = scores.Count(x => x.L.Attack != Attack.None);
        Console.WriteLine($"# login analytics benchmark: {users} users, {days} days, seed {seed}: {data.Count} attempts, {scores.Count} successful logins, {positives} takeover logins in {episodes} episodes");
        Console.WriteLine($"# generated in {gen.TotalSeconds:F1}s, scored in {run.TotalSeconds:F1}s ({run.TotalMilliseconds * 1000 / data.Count:F2} µs per attempt incl. refits); {findings} findings");
        Console.WriteLine();
        Console.WriteLine("| detector | ROC AUC | fires on | precision | recall | recall at 1 % FPR | alerts / 1,000 users / day |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|");
        var userDays = users * (double)days / 1000;
        void Row(string name, Func<LoginScore, double> score, Func<LoginScore, bool> fires)
        {
            var s = scores.Select(x => score(x.S)).ToArray();
            var y = scores.Select(x => x.L.Attack != Attack.None).ToArray();
            var auc = RocAuc.Compute(s, y);
            var fired = scores.Where(x => fires(x.S)).ToList();
            var tp = fired.Count(x => x.L.Attack != Attack.None);
            var precision = fired.Count == 0 ? 0 : (double)tp / fired.Count;
            var recall = (double)tp / positives;
            Console.WriteLine(string.Create(Inv, $"| {name} | {auc:F3} | {fired.Count} | {precision:P1} | {recall:P1} | {RecallAtFpr(s, y, 0.01):P1} | {fired.Count / userDays:F2} |"));
        }
        Row("impossible travel", s => s.ImpossibleTravel, s => s.ImpossibleTravel > 0);
        Row("new country", s => s.NewCountry, s => s.NewCountry > 0);
        Row("new ASN", s => s.NewAsn, s => s.NewAsn > 0);
        Row("new device", s => s.NewDevice, s => s.NewDevice > 0);
        Row("isolation forest", s => s.Forest, s => s.Forest >= 0.6);
        Row("**combined (flagged)**", s => s.Score, s => s.Flagged);
        Console.WriteLine();
        var cut = Cut(scores.Where(x => x.L.Attack == Attack.None).Select(x => x.S.Score).ToArray(), 0.01);
        Console.WriteLine("| takeover kind | logins | flagged (recall) | episodes caught | above the 1 % FPR cut |");
        Console.WriteLine("|---|--:|--:|--:|--:|");
        foreach (var kind in Enum.GetValues<Attack>().Skip(1))
        {
            var k = scores.Where(x => x.L.Attack == kind).ToList();
            var eps = k.GroupBy(x => x.L.Episode).ToList();
            var above = k.Count(x => x.S.Score > cut);
            Console.WriteLine(string.Create(Inv, $"| {kind} | {k.Count} | {k.Count(x => x.S.Flagged)} ({(k.Count == 0 ? 0 : (double)k.Count(x => x.S.Flagged) / k.Count):P0}) | {eps.Count(g => g.Any(x => x.S.Flagged))} of {eps.Count} | {above} ({(k.Count == 0 ? 0 : (double)above / k.Count):P0}) |"));
        }
        var fp = scores.Where(x => x.L.Attack == Attack.None && x.S.Flagged).ToList();
        Console.WriteLine();
        Console.WriteLine(string.Create(Inv, $"false alarms: {fp.Count} of {scores.Count - positives} normal logins ({(double)fp.Count / (scores.Count - positives):P3}), {fp.Count / userDays:F2} per 1,000 users per day"));
        foreach (var x in fp.Take(5)) Console.WriteLine($"  e.g. {x.S.User} {x.S.Timestamp:yyyy-MM-dd HH:mm} score {x.S.Score:F2}: {string.Join(" | ", x.S.Reasons)}");
        var caught = scores.Where(x => x.L.Attack != Attack.None && x.S.Flagged).Select(x => x.L.Episode).ToHashSet();
        var missed = scores.Where(x => x.L.Attack != Attack.None && !caught.Contains(x.L.Episode)).Take(5);
        foreach (var x in missed) Console.WriteLine($"  missed {x.L.Attack} {x.S.User} score {x.S.Score:F2}: {string.Join(" | ", x.S.Reasons)}");
    }

    private static double RecallAtFpr(double[] s, bool[] y, double fpr)
    {
        var cut = Cut(s.Where((_, i) => !y[i]).ToArray(), fpr);
        var pos = s.Where((_, i) => y[i]).ToArray();
        return (double)pos.Count(v => v > cut) / pos.Length;
    }

    // The score a login must exceed to be among the top fpr share of normal logins.
    private static double Cut(double[] negatives, double fpr)
    {
        var neg = negatives.OrderByDescending(v => v).ToArray();
        return neg[Math.Min(neg.Length - 1, (int)Math.Floor(neg.Length * fpr))];
    }

    /// <summary>
    /// Fits the combination weights on one seed (the tuning seed, never the reported one): a logistic regression of
    /// "takeover" on the evidence vector (Newton's method, L2 penalty, positives weighted), then shifts the bias so
    /// that a score of 0.5 flags at most <paramref name="budget"/> logins per 1,000 users a day on this seed.
    /// </summary>
    private static void Fit(int users, int days, int seed, int episodes, double budget, double posWeight)
    {
        var data = new LoginGenerator(users, days, seed, episodes).Generate();
        var label = data.Where(d => d.Success).ToDictionary(d => d.Event.GetString("event.id")!, d => d.Attack != Attack.None);
        var xs = new List<double[]>();
        var ys = new List<bool>();
        var analyzer = new LoginAnalyzer(Options(seed) with { RecordEvidence = true });
        analyzer.Scored += s => { xs.Add(s.Evidence!); ys.Add(label[s.EventId!]); };
        foreach (var d in data) analyzer.Analyze(d.Event, static _ => { });
        var m = LoginAnalyzer.EvidenceNames.Length;
        // evidence weighs for a takeover or not at all: a weight that comes out below its floor (one piece of evidence
        // standing in for another) is fixed at the floor and the rest refitted; only the bias and the warm-up offset
        // are free. The floors keep travel and a new country meaningful where no ASN database is configured (this
        // benchmark always has networks, so on its own it would let the network evidence stand in for them).
        var floor = LoginAnalyzer.EvidenceNames.Select(n => n switch
        {
            "bias" or "warmup" => double.NegativeInfinity,
            "impossible_travel" => 6.0,
            "country_surprise" or "country_org_rarity" => 3.0,
            _ => 0.0,
        }).ToArray();
        const double l2 = 1.0;
        var fixedAt = new double?[m];
        double[] w;
        while (true)
        {
            w = FitOnce(fixedAt);
            var worst = -1;
            for (var i = 1; i < m; i++)
                if (fixedAt[i] is null && w[i] < floor[i] && (worst < 0 || w[i] - floor[i] < w[worst] - floor[worst])) worst = i;
            if (worst < 0) break;
            fixedAt[worst] = floor[worst];
            Console.WriteLine(string.Create(Inv, $"# {LoginAnalyzer.EvidenceNames[worst]} came out {w[worst]:F3}: fixed at {floor[worst]}"));
        }
        double[] FitOnce(double?[] fixedValue)
        {
            var w = new double[m];
            w[0] = -6;
            for (var i = 0; i < m; i++) if (fixedValue[i] is { } v) w[i] = v;
            double Loss(double[] v)
            {
                var sum = 0.0;
                for (var r = 0; r < xs.Count; r++)
                {
                    var z = 0.0;
                    for (var i = 0; i < m; i++) z += v[i] * xs[r][i];
                    // log(1 + e^z) without overflow
                    var soft = z > 30 ? z : Math.Log(1 + Math.Exp(z));
                    sum += ys[r] ? posWeight * (soft - z) : soft;
                }
                for (var i = 1; i < m; i++) sum += l2 / 2 * v[i] * v[i];
                return sum;
            }
            for (var iter = 0; iter < 30; iter++)
            {
                var g = new double[m];
                var h = new double[m, m];
                for (var r = 0; r < xs.Count; r++)
                {
                    var x = xs[r];
                    var z = 0.0;
                    for (var i = 0; i < m; i++) z += w[i] * x[i];
                    var p = 1 / (1 + Math.Exp(-z));
                    var c = ys[r] ? posWeight : 1;
                    var err = c * (p - (ys[r] ? 1 : 0));
                    var curv = c * Math.Max(p * (1 - p), 1e-12);
                    for (var i = 0; i < m; i++)
                    {
                        if (x[i] == 0) continue;
                        g[i] += err * x[i];
                        for (var j = 0; j < m; j++) h[i, j] += curv * x[i] * x[j];
                    }
                }
                for (var i = 1; i < m; i++) { g[i] += l2 * w[i]; h[i, i] += l2; }
                h[0, 0] += 1e-6;
                for (var i = 0; i < m; i++)
                    if (fixedValue[i] is not null) { g[i] = 0; for (var j = 0; j < m; j++) { h[i, j] = 0; h[j, i] = 0; } h[i, i] = 1; }
                var step = Solve(h, g);
                // backtracking: halve the Newton step until the penalised loss falls
                var before = Loss(w);
                var t = 1.0;
                var trial = new double[m];
                for (var k = 0; k < 30; k++, t /= 2)
                {
                    for (var i = 0; i < m; i++) trial[i] = w[i] - t * step[i];
                    if (Loss(trial) <= before) break;
                }
                var size = 0.0;
                for (var i = 0; i < m; i++) { size = Math.Max(size, Math.Abs(trial[i] - w[i])); w[i] = trial[i]; }
                if (size < 1e-6) break;
            }
            return w;
        }
        var scores = xs.Select(x => x.Select((v, i) => v * w[i]).Sum()).ToArray();
        var y = ys.ToArray();
        // the budget: the (budget × user-days)-th highest logit becomes 0
        var allowed = (int)(budget * users * (double)days / 1000);
        var sorted = scores.OrderByDescending(v => v).ToArray();
        var shift = -(sorted[Math.Min(allowed, sorted.Length - 1)] + sorted[Math.Min(allowed, sorted.Length - 1) - 1]) / 2;
        w[0] += shift;
        Console.WriteLine(string.Create(Inv, $"# fitted on seed {seed}: {xs.Count} logins, {y.Count(v => v)} takeovers; positives weighted {posWeight}, L2 {l2}; budget {budget} alerts / 1,000 users / day"));
        Console.WriteLine(string.Create(Inv, $"# on this seed: ROC AUC {RocAuc.Compute(scores, y):F4}, recall at 1 % FPR {RecallAtFpr(scores, y, 0.01):P1}"));
        for (var i = 0; i < m; i++) Console.WriteLine(string.Create(Inv, $"#   {LoginAnalyzer.EvidenceNames[i],-28} {w[i],8:F3}"));
        Console.WriteLine("[");
        Console.WriteLine("    " + string.Join(", ", w.Select(v => v.ToString("F3", Inv))) + ",");
        Console.WriteLine("]");
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var piv = c;
            for (var r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[piv, c])) piv = r;
            if (Math.Abs(m[piv, c]) < 1e-12) { m[c, c] = 1e-6; piv = c; }
            if (piv != c)
            {
                for (var k = 0; k < n; k++) (m[c, k], m[piv, k]) = (m[piv, k], m[c, k]);
                (x[c], x[piv]) = (x[piv], x[c]);
            }
            for (var r = 0; r < n; r++)
            {
                if (r == c) continue;
                var f = m[r, c] / m[c, c];
                if (f == 0) continue;
                for (var k = c; k < n; k++) m[r, k] -= f * m[c, k];
                x[r] -= f * x[c];
            }
        }
        for (var c = 0; c < n; c++) x[c] /= m[c, c];
        return x;
    }

    private static void Speed(int users, int days, int seed, int episodes, int rounds)
    {
        var data = new LoginGenerator(users, days, seed, episodes).Generate();
        Console.WriteLine($"# speed: {data.Count} attempts ({data.Count(d => d.Success)} successful logins), {users} users, {days} days; {rounds} rounds, fresh analyzer each");
        for (var r = 0; r < rounds; r++)
        {
            var analyzer = new LoginAnalyzer(Options(seed));
            var times = new double[data.Count];
            var tick = Stopwatch.Frequency / 1e6;
            var total = Stopwatch.StartNew();
            for (var i = 0; i < data.Count; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                analyzer.Analyze(data[i].Event, static _ => { });
                times[i] = (Stopwatch.GetTimestamp() - t0) / tick;
            }
            total.Stop();
            var ok = data.Select((d, i) => (d, i)).Where(x => x.d.Success).Select(x => times[x.i]).OrderBy(v => v).ToArray();
            Console.WriteLine(string.Create(Inv,
                $"round {r + 1}: successful login median {ok[ok.Length / 2]:F2} µs, p90 {ok[(int)(ok.Length * 0.9)]:F2} µs, p99 {ok[(int)(ok.Length * 0.99)]:F2} µs, max {ok[^1]:F0} µs; all attempts {total.Elapsed.TotalMilliseconds * 1000 / data.Count:F2} µs mean ({data.Count / total.Elapsed.TotalSeconds:N0}/s)"));
        }
    }

    private static void Memory(int profiles)
    {
        var rng = new Random(1);
        var analyzer = new LoginAnalyzer(Options(1));
        var before = GC.GetTotalMemory(true);
        var t = new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
        var countries = World.Countries;
        var sw = Stopwatch.StartNew();
        // each user: 12 logins from 2–3 cities, 2–3 networks, 2 devices — a typical profile, not an empty one
        for (var u = 0; u < profiles; u++)
        {
            var c = countries[u % countries.Length];
            var user = $"user{u:D7}@example.com";
            for (var k = 0; k < 12; k++)
            {
                var city = c.Cities[(u + k % 3) % c.Cities.Length];
                var net = k % 4 == 3 ? c.Mobile[0] : c.Residential[(u + k % 2) % c.Residential.Length];
                var e = new Event { Timestamp = t.AddDays(k).AddMinutes(u % 600) };
                e.Set("event.type", FieldValue.Array([FieldValue.String("start")]));
                e.Set("event.outcome", "success");
                e.Set("user.email", user);
                e.Set("source.geo.location.lat", FieldValue.Double(city.Lat));
                e.Set("source.geo.location.lon", FieldValue.Double(city.Lon));
                e.Set("source.geo.country_iso_code", c.Code);
                e.Set("source.geo.city_name", city.Name);
                e.Set("source.as.number", FieldValue.Long(net.Asn));
                e.Set("user_agent.name", k % 3 == 0 ? "Mobile Safari" : "Chrome");
                e.Set("user_agent.os.name", k % 3 == 0 ? "iOS" : "Windows");
                analyzer.Analyze(e, static _ => { });
            }
            if (u % 100_000 == 99_999) Console.Error.WriteLine($"{u + 1} profiles, {(GC.GetTotalMemory(false) - before) / 1e6:F0} MB, {sw.Elapsed.TotalSeconds:F0}s");
        }
        var after = GC.GetTotalMemory(true);
        Console.WriteLine(string.Create(Inv, $"{analyzer.Profiles.Count:N0} profiles of 12 logins each: {(after - before) / 1e6:F0} MB managed heap ({(after - before) / (double)analyzer.Profiles.Count:F0} bytes per profile); process working set {Environment.WorkingSet / 1e6:F0} MB"));
        GC.KeepAlive(analyzer);
    }
}
