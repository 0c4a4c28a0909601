using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Rules.Testing;

/// <summary>The outcome of one rule test case.</summary>
public sealed record RuleTestResult(string Name, bool Passed, IReadOnlyList<string> Diff, string? Error = null);

/// <summary>
/// Runs rule test cases (<c>gumshoe test DIR</c>). A case is a folder holding <c>expected.jsonl</c> (the alerts,
/// one JSON object per line, with the fields to compare: rule, group, count, first_seen, last_seen and optionally
/// title, description or offsets — an empty file expects no alert) and the input: <c>input.log</c> (lines read
/// with the config's input parser) or <c>input.jsonl</c> (events as JSON objects). The config is the case's
/// <c>config.yml</c>, else the nearest <c>pack.yml</c> above it. An optional <c>case.yml</c> sets <c>now</c> (the
/// clock year-less stamps are placed against; default 2026-12-31T00:00:00Z) and <c>input</c> (which configured
/// input's parser to use). Alerts are compared in order; side-effect actions do not run.
/// </summary>
public static class RuleTestRunner
{
    private static readonly string[] DefaultKeys = ["rule", "group", "count", "first_seen", "last_seen"];

    /// <summary>Every case folder under a directory (or the directory itself), in path order.</summary>
    public static IReadOnlyList<string> FindCases(string dir)
    {
        var root = Path.GetFullPath(dir);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{dir}: no such folder");
        return Directory.EnumerateFiles(root, "expected.jsonl", SearchOption.AllDirectories)
            .Select(f => Path.GetDirectoryName(f)!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs one case folder.</summary>
    public static RuleTestResult Run(string caseDir, string? displayRoot = null)
    {
        var name = displayRoot is null ? caseDir : Path.GetRelativePath(displayRoot, caseDir);
        try
        {
            var actual = Alerts(caseDir);
            var expected = File.ReadAllLines(Path.Combine(caseDir, "expected.jsonl")).Where(l => l.Trim().Length > 0)
                .Select((l, i) => ParseExpected(l, Path.Combine(caseDir, "expected.jsonl"), i + 1)).ToList();
            var keys = expected.Count > 0 ? expected.SelectMany(e => e.Select(kv => kv.Key)).Distinct().ToArray() : DefaultKeys;
            var want = expected.Select(e => Canonical(e, keys)).ToList();
            var got = actual.Select(a => Canonical(a, keys)).ToList();
            return want.SequenceEqual(got) ? new RuleTestResult(name, true, []) : new RuleTestResult(name, false, Diff(want, got));
        }
        catch (Exception ex) when (ex is ConfigException or IOException or JsonException or InvalidDataException or YamlDotNet.Core.YamlException)
        {
            return new RuleTestResult(name, false, [], ex.Message);
        }
    }

    /// <summary>The alerts a case's input produces, as the JSON objects <c>--alerts-out</c> would hold.</summary>
    public static List<JsonObject> Alerts(string caseDir)
    {
        var configPath = ConfigFor(caseDir);
        var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
        var metrics = new MetricsRegistry();
        var rules = RuleSet.Compile(config, metrics);
        var pipeline = new EventPipeline(rules, metrics, NullLogger.Instance) { Enrichers = config.Enrichers };
        var now = new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);
        string? inputName = null;
        var caseFile = Path.Combine(caseDir, "case.yml");
        if (File.Exists(caseFile))
        {
            var c = GumshoeCaseFile.Load(caseFile);
            if (c.Now is { } n) now = n;
            inputName = c.Input;
        }
        var buffer = new MemoryStream();
        using var alerts = new JsonLinesFile(Path.Combine(Path.GetTempPath(), $"gumshoe-test-{Guid.NewGuid():N}.jsonl"));
        try
        {
            pipeline.AlertsOut = alerts;
            var log = Path.Combine(caseDir, "input.log");
            var jsonl = Path.Combine(caseDir, "input.jsonl");
            if (File.Exists(log))
            {
                var input = inputName is null
                    ? (config.Inputs.Count == 1 ? config.Inputs[0] : throw new InvalidDataException($"{configPath}: {config.Inputs.Count} inputs; name one with 'input:' in case.yml"))
                    : config.Inputs.FirstOrDefault(i => i.Name == inputName) ?? throw new InvalidDataException($"{caseFile}: no input '{inputName}'");
                new ReplayRunner(pipeline, input.Name, input.Parser, input.ParseContext.TimeZone) { Reference = now }.Run([log]);
            }
            else if (File.Exists(jsonl))
            {
                var n = 0;
                foreach (var line in File.ReadLines(jsonl))
                {
                    n++;
                    if (line.Trim().Length == 0) continue;
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{jsonl}:{n}: not a JSON object");
                    var e = new Event { Input = "test", FilePath = jsonl, Offset = n, Timestamp = now };
                    EventJson.Flatten(e, doc.RootElement);
                    pipeline.Handle(e);
                }
            }
            else throw new InvalidDataException($"{caseDir}: no input.log or input.jsonl");
            alerts.FlushToDisk();
            return File.ReadAllLines(alerts.Path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        }
        finally
        {
            alerts.Dispose();
            File.Delete(alerts.Path);
        }
    }

    private static string ConfigFor(string caseDir)
    {
        var own = Path.Combine(caseDir, "config.yml");
        if (File.Exists(own)) return own;
        for (var dir = new DirectoryInfo(caseDir); dir is not null; dir = dir.Parent)
        {
            var pack = Path.Combine(dir.FullName, "pack.yml");
            if (File.Exists(pack)) return pack;
        }
        throw new InvalidDataException($"{caseDir}: no config.yml here and no pack.yml above");
    }

    private static JsonObject ParseExpected(string line, string file, int n)
    {
        try { return JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"{file}:{n}: not a JSON object"); }
        catch (JsonException ex) { throw new InvalidDataException($"{file}:{n}: {ex.Message}"); }
    }

    // The compared fields of an alert as one line; "offsets" stands for the events' log.offset list.
    private static string Canonical(JsonObject alert, string[] keys)
    {
        var o = new JsonObject();
        foreach (var k in keys)
        {
            if (k == "offsets" && !alert.ContainsKey("offsets"))
                o[k] = new JsonArray((alert["events"]?.AsArray() ?? []).Select(e => (JsonNode?)e!["log.offset"]?.DeepClone()).ToArray());
            else o[k] = alert[k]?.DeepClone();
        }
        return o.ToJsonString();
    }

    private static List<string> Diff(List<string> want, List<string> got)
    {
        var diff = new List<string>();
        var missing = new List<string>(want);
        var extra = new List<string>();
        foreach (var g in got) if (!missing.Remove(g)) extra.Add(g);
        foreach (var m in missing) diff.Add("- " + m);
        foreach (var x in extra) diff.Add("+ " + x);
        if (diff.Count == 0) diff.Add("the same alerts in another order; got: " + string.Join(" | ", got));
        return diff;
    }
}

/// <summary>A test case's <c>case.yml</c>: <c>now</c> and <c>input</c>.</summary>
internal sealed record GumshoeCaseFile(DateTimeOffset? Now, string? Input)
{
    public static GumshoeCaseFile Load(string path)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        using (var reader = new StreamReader(path)) yaml.Load(reader);
        var root = new ConfigNode(yaml.Documents.FirstOrDefault()?.RootNode ?? new YamlDotNet.RepresentationModel.YamlMappingNode(), path, Path.GetDirectoryName(path)!, _ => null);
        DateTimeOffset? now = null;
        if (root.String("now") is { } n)
            now = EventTime.TryParse(n, out var t) ? t : throw root.Required("now").Error($"expected an RFC 3339 time, got '{n}'");
        var result = new GumshoeCaseFile(now, root.String("input"));
        root.EnsureNoUnknownKeys("case.yml (keys: now, input)");
        return result;
    }
}
