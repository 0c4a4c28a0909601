using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Cli.Commands;

/// <summary>
/// <c>gumshoe parse --parser NAME FILE...</c>: every recognised line as one JSON object per line on stdout, and a
/// count summary on stderr (like fail2ban-regex). No config needed.
/// </summary>
public static class ParseCommand
{
    public static Command Create()
    {
        var parserOpt = new Option<string>("--parser", "-p") { Description = "Parser or pack name (sshd, syslog, …)", Required = true };
        var files = new Argument<string[]>("files") { Description = "Log files (- for stdin, .gz allowed)", Arity = ArgumentArity.OneOrMore };
        var unmatched = new Option<bool>("--unmatched") { Description = "Also print unmatched lines to stderr" };
        var cmd = new Command("parse", "Parse log files and print the events as JSON lines") { parserOpt, files, unmatched };
        cmd.SetAction(r =>
        {
            var parser = ParserLookup.Find(r, r.GetValue(parserOpt)!);
            var showUnmatched = r.GetValue(unmatched);
            var sw = Stopwatch.StartNew();
            long lines = 0, matched = 0, unmatchedCount = 0, failed = 0, dropped = 0;
            var reasons = new Dictionary<string, long>();
            using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
            foreach (var file in r.GetValue(files)!)
            {
                var reader = new LogFileReader(file);
                var context = new ParseContext { TimeZone = TimeZoneInfo.Local, Years = new YearInference { Reference = () => reader.LastWrite } };
                var lastWrite = reader.LastWrite;
                context.Years.Reference = () => lastWrite;
                reader.ReadAll((text, offset, end, problems) =>
                {
                    lines++;
                    foreach (var p in LineProblems.Reasons(problems)) reasons[p] = reasons.GetValueOrDefault(p) + 1;
                    var e = new Event { Original = text, FilePath = file == "-" ? null : Path.GetFullPath(file), Offset = offset, Input = "parse", Timestamp = lastWrite };
                    var outcome = parser.Parse(text, e, context);
                    switch (outcome.Status)
                    {
                        case ParseStatus.Matched:
                            matched++;
                            EventJson.Write(json, e);
                            json.Flush();
                            stdout.WriteByte((byte)'\n');
                            json.Reset();
                            break;
                        case ParseStatus.Unmatched:
                            unmatchedCount++;
                            if (showUnmatched) Console.Error.WriteLine($"unmatched {file}:{offset}: {text}");
                            break;
                        case ParseStatus.Failed: failed++; break;
                        case ParseStatus.Dropped: dropped++; break;
                    }
                    if (outcome.Reason is { } reason && outcome.Status != ParseStatus.Matched) reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                });
            }
            stdout.Flush();
            var extra = reasons.Count == 0 ? "" : " (" + string.Join(", ", reasons.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")) + ")";
            Console.Error.WriteLine($"lines: {lines}, matched: {matched}, unmatched: {unmatchedCount}, failed: {failed}, dropped: {dropped}{extra}; {sw.Elapsed.TotalSeconds:F2}s");
            return 0;
        });
        return cmd;
    }
}
