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
//       [--only threshold|single|distinct|sequence|absence] [--by-type] [--repeat N]

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
var byType = args.Contains("--by-type");
var dir = Directory.CreateTempSubdirectory("gumshoe-bench-").FullName;
var all = yaml.ToString();
var sink = new CountingSink();
string OnlyType(string type) => string.Join("\n", all.Split('\n').Where(l => l == "rules:" || l.Contains("name: " + type + "-"))) + "\n";

Console.WriteLine($"json parse:        {events / parseSeconds,12:N0} events/s ({parseSeconds:F2}s)");
var label = only is null ? "50 rules" : only;
// as the pipeline hands them over: each batch of 1,024 events parsed just before the rules see it (only the rules timed)
var main = Measure(only is null ? all : OnlyType(only), fresh: true);
Console.WriteLine($"{label + ", fresh",-24} {main.Line}");
// --repeat N: the fresh measure N more times in this process. The first measure also pays for the heap's first
// growth (fresh memory: page faults, zeroing) and for code still being optimised; the repeats show the steady state.
for (var r = 0; r < Arg("--repeat", 0); r++)
    Console.WriteLine($"{label + ", fresh, again",-24} {Measure(only is null ? all : OnlyType(only), fresh: true).Line}");
// every event parsed up front and read back from a gigabyte of heap: mostly cache misses on the events themselves
var cold = Measure(only is null ? all : OnlyType(only), fresh: false);
Console.WriteLine($"{label + ", pre-parsed",-24} {cold.Line}");
Console.WriteLine($"active keys:       {main.ActiveKeys:N0} over all rules");
if (byType)
    foreach (var type in new[] { "threshold", "single", "distinct", "sequence", "absence" })
        Console.WriteLine($"  {type + ", fresh",-22} {Measure(OnlyType(type), fresh: true).Line}");

// --- state per active threshold key: N = 5 within 1 h, one and then four events per key (four: the most a window keeps)
parsed = null!;
foreach (var held in new[] { 1, 4 })
    Console.WriteLine($"threshold state:   {StatePerKey(held):F0} bytes per active key ({keys:N0} IPv4 keys holding {held} event{(held == 1 ? "" : "s")} each)");
Directory.Delete(dir, recursive: true);
return 0;

// Compiles the rules, warms up on a tenth of the stream, then feeds the whole stream to a fresh rule set. Fresh:
// batches of 1,024 lines are parsed just before the rules see them, and only the rule calls are timed (wall and
// this thread's CPU time: the machine is shared, CPU time is what one core spends); otherwise the pre-parsed events.
Result Measure(string rulesYaml, bool fresh)
{
    File.WriteAllText(Path.Combine(dir, "rules.yml"), rulesYaml);
    var rules = RuleSet.Compile(GumshoeConfig.Load(Path.Combine(dir, "rules.yml"), BuiltInComponents.Create(), _ => null), new MetricsRegistry());
    for (var i = 0; i < events / 10; i += 1024) rules.OnEvents(parsed.AsSpan(i, Math.Min(1024, events / 10 - i)), sink);
    rules = RuleSet.Compile(GumshoeConfig.Load(Path.Combine(dir, "rules.yml"), BuiltInComponents.Create(), _ => null), new MetricsRegistry());
    sink.Count = 0;
    GC.Collect();
    var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    // allocation over the last quarter too: by then the rule tables have (mostly) stopped growing
    long wall = 0, cpu = 0, allocated = 0, allocatedLate = 0, lateEvents = 0, cpuSecondHalf = 0, secondHalfEvents = 0;
    var pause = TimeSpan.Zero;
    var pauseBefore = GC.GetTotalPauseDuration(); // all of the measure's collections, those the parsing set off too
    long kernel = 0, faults = 0;
    var batch = new Event[1024];
    for (var at = 0; at < events; at += batch.Length)
    {
        var n = Math.Min(batch.Length, events - at);
        for (var j = 0; j < n; j++)
        {
            if (!fresh) { batch[j] = parsed[at + j]; continue; }
            var e = new Event { Input = "bench", Offset = at + j };
            parser.Parse(lines[at + j], e, context);
            batch[j] = e;
        }
        var (k0, f0) = ThreadCpu.Kernel();
        var (a0, p0, c0, w0) = (GC.GetAllocatedBytesForCurrentThread(), GC.GetTotalPauseDuration(), ThreadCpu.Nanoseconds(), Stopwatch.GetTimestamp());
        // handed over together, as a replay hands parsed events to the pipeline (ReplayRunner: up to 1,024 at a time)
        rules.OnEvents(batch.AsSpan(0, n), sink);
        wall += Stopwatch.GetTimestamp() - w0;
        var spent = ThreadCpu.Nanoseconds() - c0;
        cpu += spent;
        pause += GC.GetTotalPauseDuration() - p0;
        allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
        var (k1, f1) = ThreadCpu.Kernel();
        (kernel, faults) = (kernel + k1 - k0, faults + f1 - f0);
        // the second half: the rule tables have grown to the stream's working size (a long run's steady state)
        if (fresh && at >= events / 2) (cpuSecondHalf, secondHalfEvents) = (cpuSecondHalf + spent, secondHalfEvents + n);
        if (fresh && at >= events - events / 4) (allocatedLate, lateEvents) = (allocatedLate + GC.GetAllocatedBytesForCurrentThread() - a0, lateEvents + n);
    }
    var seconds = wall / (double)Stopwatch.Frequency;
    var cpuSeconds = cpu / 1e9;
    var line = $"{events / seconds,10:N0} events/s ({seconds:F2}s wall), {events / cpuSeconds,10:N0} events per CPU-second ({cpuSeconds:F2}s"
        + (secondHalfEvents > 0 ? $"; second half {secondHalfEvents / (cpuSecondHalf / 1e9),10:N0}" : "") + "), "
        + $"{sink.Count:N0} alerts, {allocated / (double)events:F0} B allocated/event{(lateEvents > 0 ? $" ({allocatedLate / (double)lateEvents:F0} in the last quarter)" : "")}, GCs {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2} (gen0/1/2) pausing the rules {pause.TotalSeconds:F2}s (in all {(GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds:F2}s), in the kernel {kernel / 1e9:F2}s ({faults:N0} page faults)";
    return new Result(line, rules.Rules.Sum(r => r.ActiveKeys));
}

// The managed heap growth per active key of one threshold rule (N = 5 within 1 h) fed `held` events per key.
[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
double StatePerKey(int held)
{
    var one = RuleSet.Compile(WriteRules(dir, "rules:\n  - {name: t, type: threshold, when: 'event.outcome == \"failure\"', group_by: [source.ip], count: 5, within: 1h, max_keys: 1000000}\n"), new MetricsRegistry());
    var stream = new List<Event>(keys * held);
    for (var round = 0; round < held; round++)
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
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    var after = GC.GetTotalMemory(forceFullCollection: true);
    var active = one.Rules[0].ActiveKeys;
    // the events stay alive across both readings, so the difference is the rule's state alone
    GC.KeepAlive(stream);
    GC.KeepAlive(one);
    return (after - before) / (double)active;
}

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
    public void Emit(Alert alert, Event? trigger) => Count++;
}

internal sealed record Result(string Line, long ActiveKeys);

/// <summary>This thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), so time the scheduler gives others does not count.</summary>
internal static class ThreadCpu
{
    private struct Timespec
    {
        public long Seconds;
        public long Nanos;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec value);

    public static long Nanoseconds() => ClockGetTime(3, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanos : 0;

    private struct Usage
    {
        public long UserSeconds, UserMicros, SystemSeconds, SystemMicros;
        public long MaxRss, Ixrss, Idrss, Isrss, MinorFaults, MajorFaults, Nswap, InBlock, OutBlock, MsgSnd, MsgRcv, Signals, Nvcsw, Nivcsw;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, out Usage usage);

    /// <summary>This thread's time in the kernel (ns) and page faults so far (Linux <c>RUSAGE_THREAD</c>): fresh memory's cost.</summary>
    public static (long KernelNanos, long Faults) Kernel() =>
        GetRusage(1, out var u) == 0 ? (u.SystemSeconds * 1_000_000_000 + u.SystemMicros * 1000, u.MinorFaults + u.MajorFaults) : (0, 0);
}
