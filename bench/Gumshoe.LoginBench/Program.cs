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
            case "speed": Speed(users, days, seed, episodes, Arg("--rounds", 3)); return 0;
            case "memory": Memory(Arg("--profiles", 1_000_000)); return 0;
            default: Console.Error.WriteLine("usage: Gumshoe.LoginBench eval|speed|memory [--users N] [--days N] [--seed N] [--episodes N]"); return 2;
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
        Console.WriteLine("| takeover kind | logins | flagged (recall) | episodes caught |");
        Console.WriteLine("|---|--:|--:|--:|");
        foreach (var kind in Enum.GetValues<Attack>().Skip(1))
        {
            var k = scores.Where(x => x.L.Attack == kind).ToList();
            var eps = k.GroupBy(x => x.L.Episode).ToList();
            Console.WriteLine(string.Create(Inv, $"| {kind} | {k.Count} | {k.Count(x => x.S.Flagged)} ({(k.Count == 0 ? 0 : (double)k.Count(x => x.S.Flagged) / k.Count):P0}) | {eps.Count(g => g.Any(x => x.S.Flagged))} of {eps.Count} |"));
        }
        var fp = scores.Where(x => x.L.Attack == Attack.None && x.S.Flagged).ToList();
        Console.WriteLine();
        Console.WriteLine(string.Create(Inv, $"false alarms: {fp.Count} of {scores.Count - positives} normal logins ({(double)fp.Count / (scores.Count - positives):P3}), {fp.Count / userDays:F2} per 1,000 users per day"));
        foreach (var x in fp.Take(5)) Console.WriteLine($"  e.g. {x.S.User} {x.S.Timestamp:yyyy-MM-dd HH:mm} score {x.S.Score:F2}: {string.Join(" | ", x.S.Reasons)}");
        var missed = scores.Where(x => x.L.Attack != Attack.None && !x.S.Flagged).Take(5);
        foreach (var x in missed) Console.WriteLine($"  missed {x.L.Attack} {x.S.User} score {x.S.Score:F2}: {string.Join(" | ", x.S.Reasons)}");
    }

    private static double RecallAtFpr(double[] s, bool[] y, double fpr)
    {
        var neg = s.Where((_, i) => !y[i]).OrderByDescending(v => v).ToArray();
        var cut = neg[Math.Min(neg.Length - 1, (int)Math.Floor(neg.Length * fpr))];
        var pos = s.Where((_, i) => y[i]).ToArray();
        return (double)pos.Count(v => v > cut) / pos.Length;
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
