using System.Buffers;
using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Cli.Commands;

/// <summary>
/// <c>gumshoe parse --parser NAME FILE...</c>: every recognised line as one JSON object per line on stdout, and a
/// count summary on stderr (like fail2ban-regex). No config needed.
/// </summary>
/// <remarks>
/// Lines are cut into blocks; blocks are parsed and serialised on all cores (a parser instance per thread) and
/// written in their original order.
/// </remarks>
public static class ParseCommand
{
    private const int BlockLines = 1024;

    private sealed record Block(List<(string Text, long Offset, LineProblem Problems)> Lines);

    /// <summary>What one block gave; reused once written (a block's JSON buffer would otherwise be a new large object each time).</summary>
    private sealed class BlockResult
    {
        public readonly ArrayBufferWriter<byte> Json = new(1 << 20);
        public long Matched, Unmatched, Failed, Dropped;
        public readonly Dictionary<string, long> Reasons = [];
        public readonly List<string> UnmatchedLines = [];

        public void Reset()
        {
            Json.ResetWrittenCount();
            Matched = Unmatched = Failed = Dropped = 0;
            Reasons.Clear();
            UnmatchedLines.Clear();
        }
    }

    private static readonly ConcurrentBag<BlockResult> FreeResults = [];

    public static Command Create()
    {
        var parserOpt = new Option<string>("--parser", "-p") { Description = "Parser or pack name (sshd, syslog, …)", Required = true };
        var files = new Argument<string[]>("files") { Description = "Log files (- for stdin, .gz allowed)", Arity = ArgumentArity.OneOrMore };
        var unmatched = new Option<bool>("--unmatched") { Description = "Also print unmatched lines to stderr" };
        var cmd = new Command("parse", "Parse log files and print the events as JSON lines") { parserOpt, files, unmatched };
        cmd.SetAction(r =>
        {
            var name = r.GetValue(parserOpt)!;
            var first = ParserLookup.Find(r, name);
            var parsers = new ThreadLocal<IParser>(() => ParserLookup.Find(r, name));
            var showUnmatched = r.GetValue(unmatched);
            var sw = Stopwatch.StartNew();
            long lines = 0, matched = 0, unmatchedCount = 0, failed = 0, dropped = 0;
            var reasons = new Dictionary<string, long>();
            using var stdout = Console.OpenStandardOutput();
            foreach (var file in r.GetValue(files)!)
            {
                var reader = new LogFileReader(file);
                var lastWrite = reader.LastWrite;
                var context = new ParseContext { TimeZone = TimeZoneInfo.Local, Years = new YearInference { Reference = () => lastWrite } };
                var path = file == "-" ? null : Path.GetFullPath(file);
                // no chunk buffering: memory stays at a few blocks per core
                var results = Partitioner.Create(Blocks(reader), EnumerablePartitionerOptions.NoBuffering)
                    .AsParallel().AsOrdered().WithDegreeOfParallelism(Environment.ProcessorCount)
                    .WithMergeOptions(ParallelMergeOptions.NotBuffered)
                    .Select(block => Process(block, parsers.Value ?? first, context, path, lastWrite, showUnmatched));
                foreach (var res in results)
                {
                    stdout.Write(res.Json.WrittenSpan);
                    lines += res.Matched + res.Unmatched + res.Failed + res.Dropped;
                    matched += res.Matched;
                    unmatchedCount += res.Unmatched;
                    failed += res.Failed;
                    dropped += res.Dropped;
                    foreach (var (k, v) in res.Reasons) reasons[k] = reasons.GetValueOrDefault(k) + v;
                    foreach (var u in res.UnmatchedLines) Console.Error.WriteLine(u);
                    res.Reset();
                    FreeResults.Add(res);
                }
            }
            stdout.Flush();
            var extra = reasons.Count == 0 ? "" : " (" + string.Join(", ", reasons.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")) + ")";
            Console.Error.WriteLine($"lines: {lines}, matched: {matched}, unmatched: {unmatchedCount}, failed: {failed}, dropped: {dropped}{extra}; {sw.Elapsed.TotalSeconds:F2}s");
            return 0;
        });
        return cmd;
    }

    private static IEnumerable<Block> Blocks(LogFileReader reader)
    {
        var block = new List<(string, long, LineProblem)>(BlockLines);
        foreach (var (text, offset, _, problems) in reader.Lines())
        {
            block.Add((text, offset, problems));
            if (block.Count == BlockLines)
            {
                yield return new Block(block);
                block = new List<(string, long, LineProblem)>(BlockLines);
            }
        }
        if (block.Count > 0) yield return new Block(block);
    }

    private static BlockResult Process(Block block, IParser parser, ParseContext context, string? path, DateTimeOffset fallback, bool keepUnmatched)
    {
        var res = FreeResults.TryTake(out var free) ? free : new BlockResult();
        var e = new Event();
        foreach (var (text, offset, problems) in block.Lines)
        {
            if (problems != LineProblem.None)
                foreach (var p in LineProblems.Reasons(problems)) res.Reasons[p] = res.Reasons.GetValueOrDefault(p) + 1;
            // written and forgotten before the next line: one event serves the block
            e.Reset();
            (e.Original, e.FilePath, e.Offset, e.Input, e.Timestamp) = (text, path, offset, "parse", fallback);
            var outcome = parser.Parse(text, e, context);
            switch (outcome.Status)
            {
                case ParseStatus.Matched:
                    res.Matched++;
                    EventJson.WriteUtf8(res.Json, e);
                    res.Json.Write("\n"u8);
                    break;
                case ParseStatus.Unmatched:
                    res.Unmatched++;
                    if (keepUnmatched) res.UnmatchedLines.Add($"unmatched {path}:{offset}: {text}");
                    break;
                case ParseStatus.Failed: res.Failed++; break;
                case ParseStatus.Dropped: res.Dropped++; break;
            }
            if (outcome.Reason is { } reason && outcome.Status != ParseStatus.Matched) res.Reasons[reason] = res.Reasons.GetValueOrDefault(reason) + 1;
        }
        return res;
    }
}
