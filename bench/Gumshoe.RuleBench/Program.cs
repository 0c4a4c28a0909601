using System.Diagnostics;
using System.Text;
using Gumshoe.Engine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Rules;

// Timed benchmark of the rule engine: 50 rules of every type over a stream of JSON events with 100,000 distinct
// source addresses, on one thread; then the state size of a threshold rule per active key.
//   dotnet run --project bench/Gumshoe.RuleBench -c Release -- [--events 2000000] [--keys 100000]

var events = Arg("--events", 2_000_000);
var keys = Arg("--keys", 100_000);
Console.WriteLine($"rule engine benchmark: {events:N0} events, {keys:N0} distinct source.ip, one thread, .NET {Environment.Version}, {Environment.ProcessorCount} cores");

// --- the event stream, as JSON lines, parsed up front (parsing is measured on its own)
var actions = new[] { "ssh_auth_failed", "ssh_login", "ssh_invalid_user", "http_request", "sudo_command", "dns_query", "flow", "alert" };
var rng = new Random(42);
var lines = new string[events];
var start = new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero);
for (var i = 0; i < events; i++)
{
    var k = rng.Next(keys);
    var action = actions[rng.Next(actions.Length)];
    var ts = start.AddTicks(i * TimeSpan.TicksPerMillisecond * 2); // 500 events/s of event time
    lines[i] = $"{{\"@timestamp\":\"{EventTime.Format(ts)}\",\"event\":{{\"action\":\"{action}\",\"outcome\":\"{(rng.Next(3) == 0 ? "success" : "failure")}\"}},"
        + $"\"source\":{{\"ip\":\"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}\"}},\"user\":{{\"name\":\"u{rng.Next(1000)}\"}},"
        + $"\"destination\":{{\"port\":{rng.Next(1, 1024)}}},\"http\":{{\"response\":{{\"status_code\":{(rng.Next(4) == 0 ? 404 : 200)}}}}}}}";
}
var parser = new JsonLineParser();
var context = new ParseContext { TimeZone = TimeZoneInfo.Utc };
var sw = Stopwatch.StartNew();
var parsed = new Event[events];
for (var i = 0; i < events; i++)
{
    var e = new Event { Input = "bench", Offset = i };
    parser.Parse(lines[i], e, context);
    parsed[i] = e;
}
var parseSeconds = sw.Elapsed.TotalSeconds;
lines = null;

// --- 50 rules: 15 threshold, 10 single, 10 distinct_count, 10 sequence, 5 absence
var yaml = new StringBuilder("rules:\n");
for (var i = 0; i < 15; i++)
    yaml.Append($"  - {{name: threshold-{i}, type: threshold, when: 'event.action == \"{actions[i % actions.Length]}\" and event.outcome == \"failure\"', group_by: [source.ip], count: {5 + i}, within: 60s}}\n");
for (var i = 0; i < 10; i++)
    yaml.Append($"  - {{name: single-{i}, when: 'event.action == \"{actions[i % actions.Length]}\" and user.name == \"u{i}\" and destination.port == {i + 1}', group_by: [source.ip]}}\n");
for (var i = 0; i < 10; i++)
    yaml.Append($"  - {{name: distinct-{i}, type: distinct_count, when: 'event.action == \"{actions[i % actions.Length]}\"', group_by: [source.ip], field: user.name, count: {5 + i}, within: 5m}}\n");
for (var i = 0; i < 10; i++)
    yaml.Append($"  - {{name: sequence-{i}, type: sequence, group_by: [source.ip], within: 10m, steps: [{{when: 'event.action == \"{actions[i % actions.Length]}\" and event.outcome == \"failure\"', count: 3, within: 2m}}, 'event.action == \"{actions[(i + 1) % actions.Length]}\" and event.outcome == \"success\"']}}\n");
for (var i = 0; i < 5; i++)
    yaml.Append($"  - {{name: absence-{i}, type: absence, when: 'event.action == \"{actions[i]}\" and http.response.status_code == 404', expect: 'event.action == \"{actions[i + 1]}\"', group_by: [source.ip], within: 1m}}\n");
var only = Array.IndexOf(args, "--only") is var oi && oi >= 0 && oi + 1 < args.Length ? args[oi + 1] : null;
if (only is not null)
    yaml = new StringBuilder(string.Join("\n", yaml.ToString().Split('\n').Where(l => l == "rules:" || l.Contains("name: " + only))) + "\n");
var dir = Directory.CreateTempSubdirectory("gumshoe-bench-").FullName;
File.WriteAllText(Path.Combine(dir, "rules.yml"), yaml.ToString());
var metrics = new MetricsRegistry();
var rules = RuleSet.Compile(GumshoeConfig.Load(Path.Combine(dir, "rules.yml"), BuiltInComponents.Create(), _ => null), metrics);
var sink = new CountingSink();

// warm up on a tenth, then measure on a fresh rule set
for (var i = 0; i < events / 10; i++) rules.OnEvent(parsed[i], sink);
rules = RuleSet.Compile(GumshoeConfig.Load(Path.Combine(dir, "rules.yml"), BuiltInComponents.Create(), _ => null), new MetricsRegistry());
sink.Count = 0;
GC.Collect();
var gcBefore = GC.CollectionCount(0);
var allocBefore = GC.GetAllocatedBytesForCurrentThread();
sw.Restart();
foreach (var e in parsed) rules.OnEvent(e, sink);
var ruleSeconds = sw.Elapsed.TotalSeconds;
var allocated = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
Console.WriteLine($"json parse:        {events / parseSeconds,12:N0} events/s ({parseSeconds:F2}s)");
Console.WriteLine($"50 rules:          {events / ruleSeconds,12:N0} events/s ({ruleSeconds:F2}s), {sink.Count:N0} alerts, {allocated / (double)events:F0} bytes allocated per event, {GC.CollectionCount(0) - gcBefore} gen0 GCs");
Console.WriteLine($"active keys:       {rules.Rules.Sum(r => r.ActiveKeys):N0} over all rules");

// --- state per active threshold key: N = 5 within 1 h, four events per key (the most a window keeps)
parsed = null!;
var one = RuleSet.Compile(WriteRules(dir, "rules:\n  - {name: t, type: threshold, when: 'event.outcome == \"failure\"', group_by: [source.ip], count: 5, within: 1h, max_keys: 1000000}\n"), new MetricsRegistry());
var stream = new List<Event>(keys * 4);
for (var round = 0; round < 4; round++)
    for (var k = 0; k < keys; k++)
    {
        var e = new Event { Input = "bench", Timestamp = start.AddSeconds(round), Offset = k, FilePath = "/var/log/auth.log" };
        e.Set("event.outcome", "failure");
        e.Set("source.ip", FieldValue.Ip(new System.Net.IPAddress([10, (byte)(k >> 16), (byte)(k >> 8), (byte)k])));
        stream.Add(e);
    }
GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
var before = GC.GetTotalMemory(forceFullCollection: true);
foreach (var e in stream) one.OnEvent(e, sink);
stream = null;
GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
var after = GC.GetTotalMemory(forceFullCollection: true);
var active = one.Rules[0].ActiveKeys;
Console.WriteLine($"threshold state:   {(after - before) / (double)active:F0} bytes per active key ({active:N0} keys holding 4 events each, IPv4 keys)");
GC.KeepAlive(one);
Directory.Delete(dir, recursive: true);
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

static GumshoeConfig WriteRules(string dir, string text)
{
    var path = Path.Combine(dir, "one.yml");
    File.WriteAllText(path, text);
    return GumshoeConfig.Load(path, BuiltInComponents.Create(), _ => null);
}

/// <summary>Counts alerts without keeping them.</summary>
internal sealed class CountingSink : IAlertSink
{
    public long Count;
    public void Emit(Alert alert, Event trigger) => Count++;
}
