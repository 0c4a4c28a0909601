using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Tests.Parsers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Inputs.Saas.Fakes;

/// <summary>Log lines kept for assertions.</summary>
internal sealed class CapturingLogger : ILogger
{
    public List<string> Lines { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines) Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}

/// <summary>
/// Runs the real pollers, built from YAML like any config, against <see cref="SaasApiFake"/>: the records go through
/// the poller's parser pack and are acknowledged one by one as the live pipeline does; a "kill" takes the
/// checkpoint a commit would write at that moment and abandons everything after it.
/// </summary>
internal sealed class PollerHarness : IDisposable
{
    public const string PollStart = "2026-11-20T07:00:00Z";

    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("gumshoe-saas-").FullName;

    public PollerHarness()
    {
        GoogleKey = RSA.Create(2048);
        ServiceAccountFile = Path.Combine(_dir, "sa.json");
        File.WriteAllText(ServiceAccountFile, new JsonObject
        {
            ["type"] = "service_account",
            ["client_email"] = "reader@example.iam.gserviceaccount.com",
            ["private_key"] = GoogleKey.ExportPkcs8PrivateKeyPem(),
        }.ToJsonString());
        Fake = new SaasApiFake(GoogleKey);
    }

    public RSA GoogleKey { get; }
    public string ServiceAccountFile { get; }
    public SaasApiFake Fake { get; }
    public string Directory => _dir;
    public MetricsRegistry Metrics { get; } = new();
    public CapturingLogger Log { get; } = new();

    /// <summary>The YAML of every poller, pointed at the fake, with short timeouts and back-off for the fault tests.</summary>
    public string ConfigYaml(string extra = "timeout: 1s\n    retry_base: 20ms\n    max_window: 30d") => $$"""
        inputs:
          - name: google
            type: google_workspace
            applications: [login]
            base_url: ${GOOGLE_REPORTS_URL}
            token_url: ${GOOGLE_TOKEN_URL}
            service_account_file: ${GOOGLE_SERVICE_ACCOUNT_FILE}
            admin_email: ${GOOGLE_ADMIN_EMAIL}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: slack-audit
            type: slack_audit
            base_url: ${SLACK_AUDIT_URL}
            token: ${SLACK_TOKEN}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: slack-access
            type: slack_access_logs
            base_url: ${SLACK_API_URL}
            token: ${SLACK_TOKEN}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: okta
            type: okta
            org_url: ${OKTA_ORG_URL}
            token: ${OKTA_API_TOKEN}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: github
            type: github_audit
            base_url: ${GITHUB_API_URL}
            enterprise: ${GITHUB_ENTERPRISE}
            token: ${GITHUB_TOKEN}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: entra
            type: entra_signins
            graph_url: ${GRAPH_URL}
            login_url: ${ENTRA_LOGIN_URL}
            tenant_id: ${ENTRA_TENANT_ID}
            client_id: ${ENTRA_CLIENT_ID}
            client_secret: ${ENTRA_CLIENT_SECRET}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
          - name: aws
            type: aws_cloudtrail
            endpoint: ${AWS_ENDPOINT_URL_CLOUDTRAIL}
            region: ${AWS_REGION}
            access_key_id: ${AWS_ACCESS_KEY_ID}
            secret_access_key: ${AWS_SECRET_ACCESS_KEY}
            start: ${GUMSHOE_POLL_START}
            interval: ${GUMSHOE_POLL_INTERVAL}
            {{extra}}
        """;

    public Dictionary<string, string> Environment => Fake.Environment(ServiceAccountFile, PollStart);

    /// <summary>Loads a config file with the fake's environment.</summary>
    public GumshoeConfig Load(string path) =>
        GumshoeConfig.Load(path, BuiltInComponents.Create(), name => Environment.GetValueOrDefault(name));

    /// <summary>Writes <see cref="ConfigYaml"/> and builds the named input from it (a fresh instance each call: a restart).</summary>
    public IInput Input(string name, string? yaml = null)
    {
        var path = Path.Combine(_dir, "pollers.yml");
        File.WriteAllText(path, yaml ?? ConfigYaml());
        return Load(path).Inputs.Single(i => i.Name == name);
    }

    /// <summary>
    /// Runs the input, acknowledging records as a pipeline would, until <paramref name="stopAfter"/> records were
    /// acknowledged (a kill: the checkpoint of that moment is returned) or the input went quiet after its first poll.
    /// </summary>
    public async Task<(List<JsonObject> Events, JsonNode? Checkpoint)> RunAsync(IInput input, JsonNode? restore = null, int stopAfter = int.MaxValue, int expect = 0)
    {
        input.Restore(restore?.DeepClone());
        var pipeline = new EventPipeline(RuleSet.Compile((Gumshoe.Engine.Config.ConfigNode?)null, Metrics), Metrics, NullLogger.Instance);
        var channel = Channel.CreateBounded<RawRecord>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.Wait });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => input.RunAsync(channel.Writer, new InputRun(true, Metrics, Log), stop.Token));
        var events = new List<JsonObject>();
        var firstPoll = ((Gumshoe.Engine.Inputs.Saas.SaasPoller)input).FirstPollDone.Task;
        var started = DateTime.UtcNow;
        while (events.Count < stopAfter)
        {
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{input.Name}: {events.Count} events after 60 s; log: {string.Join(" | ", Log.Lines.TakeLast(5))}");
            RawRecord record;
            using (var idle = new CancellationTokenSource(TimeSpan.FromMilliseconds(800)))
            {
                try { record = await channel.Reader.ReadAsync(idle.Token); }
                catch (OperationCanceledException)
                {
                    // quiet: done once the first poll ended and what was expected arrived (later extras would be duplicates)
                    if (firstPoll.IsCompleted && events.Count >= expect) break;
                    continue;
                }
            }
            var e = pipeline.Parse(input, record) ?? throw new InvalidOperationException($"the {input.Parser.Name} pack did not parse: {record.Text}");
            events.Add(ToJson(e));
            record.Source.Acked = record.EndOffset;
        }
        var checkpoint = input.Checkpoint();
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        return (events, checkpoint);
    }

    public static JsonObject ToJson(Event e)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) EventJson.Write(w, e);
        return JsonNode.Parse(Encoding.UTF8.GetString(ms.ToArray()))!.AsObject();
    }

    public static string? Get(JsonNode? node, string dotted)
    {
        foreach (var part in dotted.StartsWith('@') ? [dotted] : dotted.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out node)) return null;
        }
        return node switch { null => null, JsonValue v => v.ToString(), _ => node.ToJsonString() };
    }

    /// <summary>The expected normalised events of one provider, from <c>shared/data/saas/expected</c>.</summary>
    public static List<JsonObject> Expected(string provider) =>
        File.ReadLines(SharedData.File("saas/expected/normalized_login_events.jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(e => Get(e, "event.provider") == provider).ToList();

    /// <summary>The ids the access-log sample pages hold.</summary>
    public static List<string> AccessLogIds() =>
        new[] { "slack/team_accessLogs_page1.json", "slack/team_accessLogs_page2.json" }
            .SelectMany(f => JsonNode.Parse(File.ReadAllText(SharedData.File("saas/" + f)))!["logins"]!.AsArray())
            .Select(r => $"{r!["user_id"]}|{r["ip"]}|{r["user_agent"]}|{r["date_last"]}").ToList();

    public void Dispose()
    {
        Fake.DisposeAsync().AsTask().Wait();
        GoogleKey.Dispose();
        try { System.IO.Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
