using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Gumshoe.Engine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;

namespace Gumshoe.Benchmarks;

/// <summary>
/// Phase timings of the hot paths on a log file: <c>parse-phases FILE</c>, and <c>replay-phases FILE CONFIG</c>
/// (a replay with and without the raw-line prefilter, in process, after a warm-up round).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "replay-phases") return ReplayPhases(args[1], args[2]);
        if (args.Length == 2 && args[0] == "parse-direct") return ParseDirect(args[1]);
        if (args.Length == 2 && args[0] == "prefilter") return PrefilterPhase(args[1]);
        if (args.Length < 2 || args[0] != "parse-phases") { Console.Error.WriteLine("usage: parse-phases FILE | parse-direct FILE | replay-phases FILE CONFIG"); return 2; }
        var file = args[1];
        for (var round = 0; round < 2; round++)
        {
            Time("read+split", file, (_, _) => { });
            var ctx = new ParseContext();
            var p = new SshdParser();
            Time("+header", file, (t, o) => { var e = new Event { Original = t, Offset = o }; p.Parse(t, e, ctx); });
            Time("+classify", file, (t, o) => { var e = new Event { Original = t, Offset = o }; p.Parse(t, e, ctx); e.Expand(); });
            using var sink = new Utf8JsonWriter(Stream.Null);
            Time("+json", file, (t, o) =>
            {
                var e = new Event { Original = t, Offset = o };
                p.Parse(t, e, ctx);
                EventJson.Write(sink, e);
                sink.Flush();
                sink.Reset();
            });
            // the parse command's fast path: raw bytes straight to JSON, the parser for the lines it leaves
            TimeRaw("raw split", file, (_, _, _) => true);
            TimeDirect(file, p.CreateDirectWriter(ctx, Path.GetFullPath(file)), reportFallbacks: true);
        }
        return 0;
    }

    // The direct writer alone, five rounds (the best one is the figure on a shared machine).
    private static int ParseDirect(string file)
    {
        var direct = new SshdParser().CreateDirectWriter(new ParseContext(), Path.GetFullPath(file));
        for (var round = 0; round < 5; round++) TimeDirect(file, direct, reportFallbacks: round == 0);
        return 0;
    }

    // One timed pass of a direct writer over the file's lines, as parse hands them over (copied into a block's array).
    private static void TimeDirect(string file, IDirectJsonWriter direct, bool reportFallbacks)
    {
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var line = new byte[LineSplitter.DefaultMaxLineBytes];
        long fallbacks = 0;
        TimeRaw("+direct", file, (bytes, offset, _) =>
        {
            output.ResetWrittenCount();
            bytes.CopyTo(line);
            if (direct.TryWrite(line.AsMemory(0, bytes.Length), offset, output)) return true;
            fallbacks++;
            return false;
        });
        if (reportFallbacks) Console.WriteLine($"             {fallbacks} lines left to the parser");
    }

    // The sshd prefilter of the brute-force rule (failed passwords, invalid users) alone, over every line, five rounds.
    private static int PrefilterPhase(string file)
    {
        var prefilter = new SshdParser().PrefilterFor(new HashSet<string> { "ssh_auth_failed", "ssh_invalid_user" })!;
        var lastWrite = File.GetLastWriteTimeUtc(file);
        var context = new ParseContext { Years = new YearInference { Reference = () => lastWrite } }; // as replay reads
        for (var round = 0; round < 5; round++)
        {
            long skipped = 0;
            TimeRaw("prefilter", file, (bytes, _, _) =>
            {
                if (prefilter.CanSkip(bytes, context, out _)) skipped++;
                return true;
            });
            if (round == 0) Console.WriteLine($"             {skipped} lines skipped");
        }
        return 0;
    }

    private static int ReplayPhases(string file, string configPath)
    {
        for (var round = 0; round < 2; round++)
        {
            foreach (var prefilter in new[] { false, true })
            {
                var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
                var metrics = new MetricsRegistry();
                var pipeline = new EventPipeline(RuleSet.Compile(config, metrics), metrics, NullLogger.Instance);
                var input = config.Inputs[0];
                var runner = new ReplayRunner(pipeline, input.Name, input.Parser, input.ParseContext.TimeZone) { Prefilter = prefilter };
                if (Environment.GetEnvironmentVariable("BENCH_WORKERS") is { } w) runner.Workers = int.Parse(w);
                var sw = Stopwatch.StartNew();
                var gc0 = GC.CollectionCount(0);
                var alloc0 = GC.GetTotalAllocatedBytes();
                var pause0 = GC.GetTotalPauseDuration();
                runner.Run([file]);
                Console.WriteLine($"replay prefilter={prefilter,-5} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {runner.Events} events, {runner.Skipped} skipped, "
                    + $"{metrics.Counter("gumshoe_alerts_total").Value} alerts  {(GC.GetTotalAllocatedBytes() - alloc0) / runner.Events} B/line  gc0={GC.CollectionCount(0) - gc0} gc paused {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:F0} ms");
            }
        }
        return 0;
    }

    private delegate bool RawLine(ReadOnlySpan<byte> bytes, long offset, LineProblem problems);

    private static void TimeRaw(string name, string file, RawLine perLine)
    {
        var sw = Stopwatch.StartNew();
        var gc0 = GC.CollectionCount(0);
        var alloc0 = GC.GetTotalAllocatedBytes();
        long n = 0;
        foreach (var _ in new LogFileReader(file).FeedLines((bytes, o, _, problems) => { perLine(bytes, o, problems); n++; })) { }
        Console.WriteLine($"{name,-12} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {n} lines  {(GC.GetTotalAllocatedBytes() - alloc0) / n} B/line  gc0={GC.CollectionCount(0) - gc0}");
    }

    private static void Time(string name, string file, Action<string, long> perLine)
    {
        var sw = Stopwatch.StartNew();
        var gc0 = GC.CollectionCount(0);
        var alloc0 = GC.GetTotalAllocatedBytes();
        long n = 0;
        new LogFileReader(file).ReadAll((t, o, _, _) => { perLine(t, o); n++; });
        Console.WriteLine($"{name,-12} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {n} lines  {(GC.GetTotalAllocatedBytes() - alloc0) / n} B/line  gc0={GC.CollectionCount(0) - gc0}");
    }
}
