using System.Text.Json;
using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Analytics.Logins;

public class LoginAnalyzerTests
{
    private static (List<Event> Findings, List<LoginScore> Scores) Run(LoginAnalyzer analyzer, IEnumerable<Event> events)
    {
        var findings = new List<Event>();
        var scores = new List<LoginScore>();
        analyzer.Scored += scores.Add;
        foreach (var e in events) analyzer.Analyze(e, findings.Add);
        return (findings, scores);
    }

    [Fact]
    public void On_the_SaaS_samples_impossible_travel_fires_exactly_for_the_expected_pairs()
    {
        var (findings, _) = Run(new LoginAnalyzer(), LoginEvents.SaasSamples());
        var travel = findings.Where(f => f.GetString("event.action") == "impossible_travel")
            .Select(f => (f.GetString("gumshoe.user"), f.GetString("gumshoe.previous.source.ip"), f.GetString("source.ip"), EventTime.Format(f.Timestamp)))
            .OrderBy(x => x.Item1).ToList();
        var expected = JsonDocument.Parse(File.ReadAllText(Gumshoe.Engine.Tests.Parsers.SharedData.File("saas/expected/impossible_travel.json"))).RootElement
            .GetProperty("impossible_travel").EnumerateArray()
            .Select(x => (x.GetProperty("user").GetString(), x.GetProperty("from").GetProperty("ip").GetString(), x.GetProperty("to").GetProperty("ip").GetString(),
                EventTime.Format(DateTimeOffset.Parse(x.GetProperty("to").GetProperty("@timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture))))
            .OrderBy(x => x.Item1).ToList();
        Assert.Equal(expected, travel);
    }

    [Fact]
    public void The_negative_control_user_raises_no_finding_and_no_login_of_his_is_flagged()
    {
        var (findings, scores) = Run(new LoginAnalyzer(), LoginEvents.SaasSamples());
        Assert.DoesNotContain(findings, f => f.GetString("gumshoe.user") == "dave");
        var dave = scores.Where(s => s.User == "dave").ToList();
        Assert.Equal(4, dave.Count);
        Assert.All(dave, s => Assert.False(s.Flagged));
    }

    [Fact]
    public void Every_successful_login_is_scored_once_with_a_score_between_0_and_1()
    {
        var events = LoginEvents.SaasSamples();
        var (_, scores) = Run(new LoginAnalyzer(), events);
        var successes = events.Where(e => e.GetString("event.outcome") == "success" && e.GetString("event.kind") == "event" && e.Get("event.type").ToString() == "[start]")
            .Select(e => e.GetString("event.id")).ToList();
        Assert.Equal(successes, scores.Select(s => s.EventId).ToList());
        Assert.All(scores, s => Assert.InRange(s.Score, 0, 1));
    }

    [Fact]
    public void The_explanation_names_the_previous_place_time_distance_and_speed()
    {
        var (findings, scores) = Run(new LoginAnalyzer(), LoginEvents.SaasSamples());
        var alice = findings.Single(f => f.GetString("event.action") == "impossible_travel" && f.GetString("gumshoe.user") == "alice");
        Assert.Equal("36 min after a login from London, GB (81.2.69.165), 8,182 km away (13,826 km/h)", alice.GetString("message"));
        Assert.Equal(8182.1, alice.Get("gumshoe.travel.distance_km").AsDouble(), 0.1);
        var country = findings.Single(f => f.GetString("event.action") == "new_country" && f.GetString("gumshoe.user") == "alice");
        Assert.Equal("first login from CN for alice; earlier logins from GB (7)", country.GetString("message"));
        var anomaly = findings.Single(f => f.GetString("event.action") == "login_anomaly" && f.GetString("gumshoe.user") == "alice");
        Assert.Equal("alert", anomaly.GetString("event.kind"));
        // flagged by impossible travel (findings: always); its combined score is alice's highest by far
        var aliceScores = scores.Where(x => x.User == "alice").Select(x => x.Score).OrderDescending().ToList();
        Assert.Equal(Math.Round(aliceScores[0], 4), anomaly.Get("gumshoe.score").AsDouble(), 4);
        Assert.True(aliceScores[0] > 20 * aliceScores[1]);
        Assert.Equal("175.16.199.24", anomaly.GetString("source.ip"));
    }

    [Fact]
    public void Both_accuracy_radii_are_subtracted_before_the_minimum_distance_applies()
    {
        var t = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        // Paris → Lyon-ish 600 km apart in 10 minutes, but each place is only known within 100 km
        List<Event> far = [LoginEvents.Login("a@x", t, 48.85, 2.35, "FR", "Paris", 3215, radiusKm: 100), LoginEvents.Login("a@x", t.AddMinutes(10), 43.3, 5.37, "FR", "Marseille", 3215, radiusKm: 100)];
        Assert.DoesNotContain(Run(new LoginAnalyzer(), far).Findings, f => f.GetString("event.action") == "impossible_travel");
        List<Event> sharp = [LoginEvents.Login("a@x", t, 48.85, 2.35, "FR", "Paris", 3215, radiusKm: 5), LoginEvents.Login("a@x", t.AddMinutes(10), 43.3, 5.37, "FR", "Marseille", 3215, radiusKm: 5)];
        Assert.Contains(Run(new LoginAnalyzer(), sharp).Findings, f => f.GetString("event.action") == "impossible_travel");
    }

    [Fact]
    public void An_allow_listed_network_never_counts_as_travel()
    {
        var t = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        List<Event> events = [LoginEvents.Login("a@x", t, 51.5, -0.12, "GB", "London", 2856), LoginEvents.Login("a@x", t.AddMinutes(5), 40.71, -74.0, "US", "New York", 9009)];
        var options = new LoginAnalyzerOptions { Travel = new TravelOptions { AllowAsns = new HashSet<long> { 9009 } } };
        Assert.DoesNotContain(Run(new LoginAnalyzer(options), events).Findings, f => f.GetString("event.action") == "impossible_travel");
        Assert.Contains(Run(new LoginAnalyzer(), events).Findings, f => f.GetString("event.action") == "impossible_travel");
    }

    [Fact]
    public void New_country_network_and_device_wait_for_the_warm_up()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var events = new List<Event>();
        for (var i = 0; i < 3; i++) events.Add(LoginEvents.Login("a@x", t.AddDays(i), 51.5, -0.12, "GB", "London", 2856));
        events.Add(LoginEvents.Login("a@x", t.AddDays(5), 48.85, 2.35, "FR", "Paris", 3215, device: "Firefox"));
        var (_, early) = Run(new LoginAnalyzer(new LoginAnalyzerOptions { Warmup = 5 }), events);
        Assert.Equal(0, early[^1].NewCountry);
        var (_, warm) = Run(new LoginAnalyzer(new LoginAnalyzerOptions { Warmup = 3 }), events);
        Assert.True(warm[^1].NewCountry > 0 && warm[^1].NewAsn > 0 && warm[^1].NewDevice > 0);
        Assert.Contains("first login from FR for a@x; earlier logins from GB (3)", warm[^1].Reasons);
        Assert.Contains(warm[^1].Reasons, r => r.StartsWith("first login with Firefox on Windows for a@x; earlier devices Chrome on Windows (3)", StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_attempts_before_a_login_raise_its_score()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var events = new List<Event>();
        for (var i = 0; i < 10; i++) events.Add(LoginEvents.Login("a@x", t.AddDays(i), 51.5, -0.12, "GB", "London", 2856));
        var quiet = Run(new LoginAnalyzer(), events.Append(LoginEvents.Login("a@x", t.AddDays(11), 51.5, -0.12, "GB", "London", 2856))).Scores[^1];
        for (var k = 0; k < 5; k++) events.Add(LoginEvents.Login("a@x", t.AddDays(11).AddMinutes(-10 + k), 51.5, -0.12, "GB", "London", 2856, success: false));
        var noisy = Run(new LoginAnalyzer(), events.Append(LoginEvents.Login("a@x", t.AddDays(11), 51.5, -0.12, "GB", "London", 2856))).Scores[^1];
        Assert.True(noisy.Score > quiet.Score);
        Assert.Contains(noisy.Reasons, r => r.Contains("recent failed attempts", StringComparison.Ordinal));
    }

    [Fact]
    public void Scores_are_deterministic_and_causal()
    {
        var events = LoginEvents.Weeks(users: 12, days: 40, seed: 7);
        var full = Run(new LoginAnalyzer(new LoginAnalyzerOptions { Seed = 3 }), events).Scores;
        var again = Run(new LoginAnalyzer(new LoginAnalyzerOptions { Seed = 3 }), events).Scores;
        Assert.Equal(full.Select(s => s.Score), again.Select(s => s.Score));
        Assert.Contains(full, s => s.Forest > 0); // the forests were fitted and used
        // a prefix of the events gives the same scores: nothing later leaks into a login's score
        var prefix = Run(new LoginAnalyzer(new LoginAnalyzerOptions { Seed = 3 }), events.Take(events.Count / 2)).Scores;
        Assert.Equal(full.Take(prefix.Count).Select(s => s.Score), prefix.Select(s => s.Score));
    }

    [Fact]
    public void A_restored_snapshot_continues_exactly_where_the_saved_one_stopped()
    {
        var events = LoginEvents.Weeks(users: 12, days: 40, seed: 11);
        var options = new LoginAnalyzerOptions { Seed = 5, Forest = new ForestOptions { MaxModels = 3 } };
        var full = Run(new LoginAnalyzer(options), events).Scores;
        var half = events.Count / 2;
        var first = new LoginAnalyzer(options);
        var before = Run(first, events.Take(half)).Scores;
        using var snapshot = new MemoryStream();
        first.SaveState(snapshot);
        snapshot.Position = 0;
        var second = new LoginAnalyzer(options);
        second.LoadState(snapshot);
        var after = Run(second, events.Skip(half)).Scores;
        Assert.Equal(full.Select(s => (s.EventId, s.Score, s.Flagged)), before.Concat(after).Select(s => (s.EventId, s.Score, s.Flagged)));
        Assert.Equal(12, second.Profiles.Count);
    }

    [Fact]
    public void A_damaged_snapshot_is_refused_with_a_clear_error()
    {
        var a = new LoginAnalyzer();
        Run(a, LoginEvents.SaasSamples());
        using var s = new MemoryStream();
        a.SaveState(s);
        var cut = s.ToArray()[..(int)(s.Length / 2)];
        var ex = Assert.Throws<InvalidDataException>(() => new LoginAnalyzer().LoadState(new MemoryStream(cut)));
        Assert.Contains("cut short", ex.Message);
        Assert.Throws<InvalidDataException>(() => new LoginAnalyzer().LoadState(new MemoryStream(new byte[64])));
    }

    [Fact]
    public void A_profile_stays_bounded_however_many_places_a_user_comes_from()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var events = Enumerable.Range(0, 300).Select(i =>
            LoginEvents.Login("roamer@x", t.AddHours(i * 30), -60 + i % 120, -170 + i % 340, "C" + i, "City" + i, 1000 + i, device: "D" + i)).ToList();
        var a = new LoginAnalyzer();
        Run(a, events);
        var p = a.Profiles.Profiles.Single();
        Assert.Equal(300, p.Logins);
        Assert.True(p.CountryCount <= LoginProfile.MaxCountries && p.CityCount <= LoginProfile.MaxCities && p.AsnCount <= LoginProfile.MaxAsns && p.DeviceCount <= LoginProfile.MaxDevices);
        Assert.True(p.Rows!.Length <= 64 * LoginAnalyzer.FeatureNames.Length);
    }

    [Fact]
    public void Events_that_are_not_login_attempts_are_ignored()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var logout = LoginEvents.Login("a@x", t, 51.5, -0.12, "GB", "London", 2856);
        logout.Set("event.type", FieldValue.Array([FieldValue.String("end")]));
        var alert = LoginEvents.Login("a@x", t, 51.5, -0.12, "GB", "London", 2856);
        alert.Set("event.kind", "alert");
        var a = new LoginAnalyzer();
        var (_, scores) = Run(a, [logout, alert]);
        Assert.Empty(scores);
        Assert.Equal(0, a.Profiles.Count);
    }

    [Fact]
    public void Failures_from_a_network_the_user_never_used_are_named_in_the_reason()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var events = new List<Event>();
        for (var i = 0; i < 10; i++) events.Add(LoginEvents.Login("a@x", t.AddDays(i), 51.5, -0.12, "GB", "London", 2856));
        for (var k = 0; k < 3; k++) events.Add(LoginEvents.Login("a@x", t.AddDays(11).AddMinutes(-5 + k), 52.37, 4.9, "NL", "Amsterdam", 14061, success: false));
        events.Add(LoginEvents.Login("a@x", t.AddDays(11), 52.37, 4.9, "NL", "Amsterdam", 14061));
        var analyzer = new LoginAnalyzer();
        var last = Run(analyzer, events).Scores[^1];
        Assert.True(last.Flagged);
        Assert.Contains(last.Reasons, r => r.Contains("of them from networks the user had not used", StringComparison.Ordinal));
        Assert.True(analyzer.Profiles.Get("a@x").RecentForeignFailures > 2);
    }

    [Fact]
    public void A_second_login_from_the_same_new_network_within_a_day_is_scored_but_not_alerted_again()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var events = new List<Event>();
        for (var i = 0; i < 30; i++) events.Add(LoginEvents.Login("a@x", t.AddDays(i), 51.5, -0.12, "GB", "London", 2856));
        events.Add(LoginEvents.Login("a@x", t.AddDays(31), 35.68, 139.7, "JP", "Tokyo", 16509, device: "curl", os: "Other"));
        events.Add(LoginEvents.Login("a@x", t.AddDays(31).AddMinutes(40), 35.68, 139.7, "JP", "Tokyo", 16509, device: "curl", os: "Other"));
        events.Add(LoginEvents.Login("a@x", t.AddDays(33), 35.68, 139.7, "JP", "Tokyo", 16509, device: "curl", os: "Other"));
        var (findings, scores) = Run(new LoginAnalyzer(), events);
        var (first, repeat, later) = (scores[^3], scores[^2], scores[^1]);
        Assert.True(first.Flagged);
        Assert.False(repeat.Flagged);
        Assert.True(repeat.Score > 0.5); // still scored as anomalous
        Assert.Contains(repeat.Reasons, r => r.StartsWith("network AS16509 first seen for a@x 40 min ago", StringComparison.Ordinal));
        Assert.Single(findings, f => f.GetString("event.action") == "login_anomaly" && f.Timestamp.Date == first.Timestamp.Date);
        Assert.True(later.Score < first.Score);
    }

    [Fact]
    public void The_evidence_is_recorded_only_when_asked_and_matches_the_names()
    {
        var events = LoginEvents.Weeks(users: 3, days: 10, seed: 1);
        var plain = Run(new LoginAnalyzer(), events).Scores;
        Assert.All(plain, s => Assert.Null(s.Evidence));
        var recorded = Run(new LoginAnalyzer(new LoginAnalyzerOptions { RecordEvidence = true }), events).Scores;
        Assert.All(recorded, s => Assert.Equal(LoginAnalyzer.EvidenceNames.Length, s.Evidence!.Length));
        Assert.Equal(LoginAnalyzer.EvidenceNames.Length, LoginAnalyzer.EvidenceWeights.Length);
        // the score is the logistic of the weighed evidence
        foreach (var s in recorded)
        {
            var z = s.Evidence!.Select((v, i) => v * LoginAnalyzer.EvidenceWeights[i]).Sum();
            Assert.Equal(1 / (1 + Math.Exp(-z)), s.Score, 9);
        }
        Assert.Equal(plain.Select(s => s.Score), recorded.Select(s => s.Score));
    }

    [Fact]
    public void A_user_with_one_network_is_more_surprised_by_a_new_one_than_a_user_who_hops_between_networks()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var steady = new List<Event>();
        var hopper = new List<Event>();
        long[] nets = [2856, 5089, 5607, 9009, 60068, 12576];
        for (var i = 0; i < 40; i++)
        {
            steady.Add(LoginEvents.Login("s@x", t.AddHours(i * 12), 51.5, -0.12, "GB", "London", 2856));
            hopper.Add(LoginEvents.Login("h@x", t.AddHours(i * 12), 51.5, -0.12, "GB", "London", nets[i % nets.Length]));
        }
        steady.Add(LoginEvents.Login("s@x", t.AddDays(21), 51.5, -0.12, "GB", "London", 3320));
        hopper.Add(LoginEvents.Login("h@x", t.AddDays(21), 51.5, -0.12, "GB", "London", 3320));
        var a = Run(new LoginAnalyzer(new LoginAnalyzerOptions { RecordEvidence = true }), steady).Scores[^1];
        var b = Run(new LoginAnalyzer(new LoginAnalyzerOptions { RecordEvidence = true }), hopper).Scores[^1];
        var asn = Array.IndexOf(LoginAnalyzer.EvidenceNames, "asn_surprise");
        Assert.True(a.Evidence![asn] > b.Evidence![asn] * 1.5);
        Assert.True(a.Score > b.Score);
    }
}
