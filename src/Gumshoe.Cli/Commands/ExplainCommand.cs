using System.CommandLine;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe explain --parser NAME "LINE"</c>: which parser matched and every field it extracted.</summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var parserOpt = new Option<string>("--parser", "-p") { Description = "Parser or pack name", Required = true };
        var line = new Argument<string>("line") { Description = "The log line" };
        var cmd = new Command("explain", "Show how a line is parsed, field by field") { parserOpt, line };
        cmd.SetAction(r =>
        {
            var parser = ParserLookup.Find(r, r.GetValue(parserOpt)!);
            var text = r.GetValue(line)!;
            var e = new Event { Original = text, Input = "explain", Timestamp = DateTimeOffset.UtcNow };
            var outcome = parser.Parse(text, e, new ParseContext { TimeZone = TimeZoneInfo.Local });
            Console.WriteLine($"parser: {parser.Name}");
            Console.WriteLine($"result: {outcome.Status.ToString().ToLowerInvariant()}{(outcome.Reason is null ? "" : " (" + outcome.Reason + ")")}");
            if (outcome.Status != ParseStatus.Matched) return 1;
            var fields = e.Fields.ToList();
            var width = fields.Max(f => f.Key.Length);
            Console.WriteLine("fields:");
            foreach (var (name, value) in fields)
                Console.WriteLine($"  {name.PadRight(width)}  {value.Kind.ToString().ToLowerInvariant(),-9}  {value}");
            return 0;
        });
        return cmd;
    }
}
