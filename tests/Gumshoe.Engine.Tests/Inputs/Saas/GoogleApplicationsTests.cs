using System.Text.Json.Nodes;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

/// <summary>
/// The Google Reports applications besides <c>login</c> (<c>admin</c>, <c>token</c>, <c>drive</c>), from the project's
/// sample pages (TestData/google, two pages each joined by <c>nextPageToken</c>) and their expected normalisations.
/// </summary>
public sealed class GoogleApplicationsTests : IDisposable
{
    private readonly PollerHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>The expected normalised events of the three applications.</summary>
    internal static List<JsonObject> Expected(string? app = null) =>
        File.ReadLines(Path.Combine(SaasApiFake.TestData, "google", "expected_applications.jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(e => app is null || PollerHarness.Get(e, "event.dataset") == "google_workspace." + app).ToList();

    /// <summary>Their event ids.</summary>
    internal static List<string> ExpectedIds() => Expected().Select(e => PollerHarness.Get(e, "event.id")!).ToList();

    private static readonly string[] Compared =
        ["event.provider", "event.dataset", "event.id", "event.action", "event.outcome", "event.kind", "event.category", "user.email", "user.id",
         "source.ip", "user.target.email", "google_workspace.event.type"];

    private IInput Poller(string app, string? extra = null) =>
        _h.Input("google", (extra is null ? _h.ConfigYaml() : _h.ConfigYaml(extra)).Replace("applications: [login]", $"applications: [{app}]", StringComparison.Ordinal));

    [Theory]
    [InlineData("admin")]
    [InlineData("token")]
    [InlineData("drive")]
    public async Task Every_page_is_followed_and_each_activity_normalised_once(string app)
    {
        var (events, _) = await _h.RunAsync(Poller(app));

        var expected = Expected(app);
        Assert.Equal(expected.Select(e => PollerHarness.Get(e, "event.id")).Order(StringComparer.Ordinal), events.Select(e => PollerHarness.Get(e, "event.id")).Order(StringComparer.Ordinal));
        var raw = new[] { 1, 2 }.SelectMany(n => JsonNode.Parse(File.ReadAllText(Path.Combine(SaasApiFake.TestData, "google", $"activities_{app}_page{n}.json")))!["items"]!.AsArray()).ToList();
        foreach (var want in expected)
        {
            var id = PollerHarness.Get(want, "event.id");
            var got = events.Single(e => PollerHarness.Get(e, "event.id") == id);
            Assert.Equal(DateTimeOffset.Parse(PollerHarness.Get(want, "@timestamp")!), DateTimeOffset.Parse(PollerHarness.Get(got, "@timestamp")!));
            foreach (var field in Compared) Assert.True(PollerHarness.Get(want, field) == PollerHarness.Get(got, field), $"{id} {field}: want {PollerHarness.Get(want, field)}, got {PollerHarness.Get(got, field)}");
            // the activity as the API sent it is kept
            var original = JsonNode.Parse(PollerHarness.Get(got, "event.original")!)!;
            Assert.Contains(raw, r => JsonNode.DeepEquals(r, original));
        }
        var pages = _h.Fake.Requests.Where(r => r.Source == "google_reports_" + app).ToList();
        // the first window's two pages (later polls read the overlap again and deliver nothing new)
        Assert.True(pages.Count >= 2);
        Assert.DoesNotContain("pageToken=", pages[0].PathAndQuery);
        Assert.Contains("pageToken=A%3A", pages[1].PathAndQuery);
    }

    [Fact]
    public async Task Faults_on_an_application_stream_cause_no_gap_and_no_duplicate()
    {
        _h.Fake.Inject("google_reports_drive", Fault.RateLimited, Fault.ServerError, Fault.Timeout, Fault.MalformedJson, Fault.EmptyPageFirst, Fault.RepeatedPageToken);
        var expected = Expected("drive").Select(e => PollerHarness.Get(e, "event.id")!).Order(StringComparer.Ordinal).ToList();

        var (events, _) = await _h.RunAsync(Poller("drive"), expect: expected.Count);

        Assert.Equal(expected, events.Select(e => PollerHarness.Get(e, "event.id")!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_kill_inside_a_window_resumes_without_repeating(int killAfter)
    {
        var expected = Expected("drive").Select(e => PollerHarness.Get(e, "event.id")!).Order(StringComparer.Ordinal).ToList();

        var before = await _h.RunAsync(Poller("drive"), stopAfter: killAfter);
        var after = await _h.RunAsync(Poller("drive"), before.Checkpoint, expect: expected.Count - killAfter);

        Assert.Equal(expected, before.Events.Concat(after.Events).Select(e => PollerHarness.Get(e, "event.id")!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Applications_are_separate_streams_of_one_poller()
    {
        var yaml = _h.ConfigYaml().Replace("applications: [login]", "applications: [login, admin, token, drive]", StringComparison.Ordinal);
        var want = PollerHarness.Expected("google_workspace").Select(e => PollerHarness.Get(e, "event.id")!).Concat(ExpectedIds()).ToList();

        var (events, checkpoint) = await _h.RunAsync(_h.Input("google", yaml), expect: want.Count);

        Assert.Equal(want.Order(StringComparer.Ordinal), events.Select(e => PollerHarness.Get(e, "event.id")!).Order(StringComparer.Ordinal));
        Assert.Equal(["login", "admin", "token", "drive"], checkpoint!["streams"]!.AsObject().Select(kv => kv.Key));
    }
}
