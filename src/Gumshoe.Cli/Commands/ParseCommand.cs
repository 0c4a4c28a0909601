using System.Buffers;
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
/// The reading thread cuts the input into blocks of whole lines (raw bytes, split as every input splits them);
/// blocks are parsed and serialised on all cores and written in their input order, a few blocks in flight at most.
/// A parser with a direct JSON writer (<see cref="IDirectJsonParser"/>) writes its common lines straight from their
/// bytes; every other line is decoded, parsed into an <see cref="Event"/> and written as such — the same bytes.
/// Year-less stamps are resolved against the file's last-write time, not against earlier lines, so a block needs
/// nothing from the blocks before it.
/// </remarks>
public static class ParseCommand
{
    // Each block in flight has its JSON buffer (about five times the block), faulted in page by page on first use:
    // 256 KiB blocks spend fewer faults than 512 KiB and fewer hand-offs than 128 KiB (measured, interleaved runs:
    // 0.313 → 0.292 s mean wall against 512 KiB; 128 KiB slower than 256)
    private const int BlockBytes = 256 << 10;

    /// <summary>A block of whole lines as read, and what parsing them gave; reused once written.</summary>
    private sealed class Block() : LineBlock(BlockBytes)
    {
        // about five bytes of JSON per byte of an sshd line: room up front rather than doubling from small
        public readonly ArrayBufferWriter<byte> Json = new(BlockBytes * 6);
        public long Matched, Unmatched, Failed, Dropped;
        public readonly Dictionary<string, long> Reasons = [];
        public readonly List<string> UnmatchedLines = [];

        public override void Reset()
        {
            base.Reset();
            Json.ResetWrittenCount();
            Matched = Unmatched = Failed = Dropped = 0;
            Reasons.Clear();
            UnmatchedLines.Clear();
        }
    }

    public static Command Create()
    {
        var parserOpt = new Option<string>("--parser", "-p") { Description = "Parser or pack name (sshd, syslog, …)", Required = true };
        var files = new Argument<string[]>("files") { Description = "Log files (- for stdin, .gz allowed)", Arity = ArgumentArity.OneOrMore };
        var unmatched = new Option<bool>("--unmatched") { Description = "Also print unmatched lines to stderr" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: one per core)", Hidden = true };
        var noDirect = new Option<bool>("--no-direct") { Description = "Parse every line into an event, without the parser's direct JSON writer (for comparisons)", Hidden = true };
        var cmd = new Command("parse", "Parse log files and print the events as JSON lines") { parserOpt, files, unmatched, threads, noDirect };
        cmd.SetAction(r =>
        {
            var name = r.GetValue(parserOpt)!;
            if (!ParserLookup.TryFind(r, name, out var parser, out var error)) // one for every worker: parsers keep no per-line state
            {
                Console.Error.WriteLine($"error: {error}");
                return 2;
            }
            if (r.GetValue(files)!.FirstOrDefault(f => f != "-" && !File.Exists(f)) is { } missing)
            {
                Console.Error.WriteLine($"error: {missing}: no such file");
                return 2;
            }
            var options = new Options(r.GetValue(unmatched), !r.GetValue(noDirect));
            var workers = r.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            var sw = Stopwatch.StartNew();
            var totals = new Totals();
            using var stdout = Console.OpenStandardOutput();
            var blocks = new ParallelLineReader<Block>(workers, () => new Block());
            foreach (var file in r.GetValue(files)!)
            {
                var path = file == "-" ? null : Path.GetFullPath(file);
                try
                {
                    var reader = new LogFileReader(file);
                    var lastWrite = reader.LastWrite;
                    var context = new ParseContext { TimeZone = TimeZoneInfo.Local, Years = new YearInference { Reference = () => lastWrite } };
                    // one more than the workers keeps them busy while the oldest is written; more only adds buffers to fault
                    // in (measured: two per worker 0.277 s, one per worker and one 0.270 s mean wall, interleaved runs)
                    foreach (var block in blocks.Read(reader, b => Process(b, parser, context, path, lastWrite, options), workers + 1))
                        Write(block, stdout, totals);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"error: {file}: {ex.Message}");
                    return 2;
                }
            }
            stdout.Flush();
            var extra = totals.Reasons.Count == 0 ? "" : " (" + string.Join(", ", totals.Reasons.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")) + ")";
            Console.Error.WriteLine($"lines: {totals.Lines}, matched: {totals.Matched}, unmatched: {totals.Unmatched}, failed: {totals.Failed}, dropped: {totals.Dropped}{extra}; {sw.Elapsed.TotalSeconds:F2}s");
            return 0;
        });
        return cmd;
    }

    private sealed record Options(bool KeepUnmatched, bool Direct);

    private sealed class Totals
    {
        public long Lines, Matched, Unmatched, Failed, Dropped;
        public readonly Dictionary<string, long> Reasons = [];
    }

    private static void Write(Block block, Stream output, Totals totals)
    {
        output.Write(block.Json.WrittenSpan);
        totals.Lines += block.Count;
        totals.Matched += block.Matched;
        totals.Unmatched += block.Unmatched;
        totals.Failed += block.Failed;
        totals.Dropped += block.Dropped;
        foreach (var (k, v) in block.Reasons) totals.Reasons[k] = totals.Reasons.GetValueOrDefault(k) + v;
        foreach (var u in block.UnmatchedLines) Console.Error.WriteLine(u);
    }

    // A worker's direct writer for the file being parsed: made once per file and thread, not once per block.
    [ThreadStatic] private static (IDirectJsonParser Parser, ParseContext Context, IDirectJsonWriter Writer)? _direct;

    private static IDirectJsonWriter DirectWriter(IDirectJsonParser parser, ParseContext context, string? path)
    {
        if (_direct is var (p, c, w) && ReferenceEquals(p, parser) && ReferenceEquals(c, context)) return w;
        var writer = parser.CreateDirectWriter(context, path);
        _direct = (parser, context, writer);
        return writer;
    }

    private static void Process(Block block, IParser parser, ParseContext context, string? path, DateTimeOffset fallback, Options options)
    {
        var direct = options.Direct && parser is IDirectJsonParser d ? DirectWriter(d, context, path) : null;
        var json = block.Json;
        Event? e = null;
        for (var i = 0; i < block.Count; i++)
        {
            var (offset, problems) = (block.Offset(i), block.Problems(i));
            if (problems == LineProblem.None && direct is not null && direct.TryWrite(block.LineMemory(i), offset, json))
            {
                json.Write("\n"u8);
                block.Matched++;
                continue;
            }
            var text = LineSplitter.Decode(block.Line(i), ref problems);
            if (problems != LineProblem.None)
                foreach (var p in LineProblems.Reasons(problems)) block.Reasons[p] = block.Reasons.GetValueOrDefault(p) + 1;
            // written and forgotten before the next line: one event serves the block
            e ??= new Event();
            e.Reset();
            (e.Original, e.FilePath, e.Offset, e.Input, e.Timestamp) = (text, path, offset, "parse", fallback);
            var outcome = parser.Parse(text, e, context);
            switch (outcome.Status)
            {
                case ParseStatus.Matched:
                    block.Matched++;
                    EventJson.WriteUtf8(json, e);
                    json.Write("\n"u8);
                    break;
                case ParseStatus.Unmatched:
                    block.Unmatched++;
                    if (options.KeepUnmatched) block.UnmatchedLines.Add($"unmatched {path}:{offset}: {text}");
                    break;
                case ParseStatus.Failed: block.Failed++; break;
                case ParseStatus.Dropped: block.Dropped++; break;
            }
            if (outcome.Reason is { } reason && outcome.Status != ParseStatus.Matched) block.Reasons[reason] = block.Reasons.GetValueOrDefault(reason) + 1;
        }
    }
}
