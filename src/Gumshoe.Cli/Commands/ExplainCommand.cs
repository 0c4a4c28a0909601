using System.CommandLine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Cli.Commands;

/// <summary>
/// <c>gumshoe explain --parser NAME "LINE"</c>: which parser matched and every field it extracted;
/// <c>gumshoe explain -c CONFIG "LINE"</c>: the same with the config's input parser, then for every rule whether
/// its conditions match and the state of the line's group window.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var parserOpt = new Option<string?>("--parser", "-p") { Description = "Parser or pack name (default: the config's input parser)" };
        var inputOpt = new Option<string?>("--input") { Description = "With a config: which input's parser to use (default: the only one)" };
        var historyOpt = new Option<string?>("--history") { Description = "With a config: feed this log's lines to the rules first, so windows hold their state" };
        var line = new Argument<string>("line") { Description = "The log line" };
        var cmd = new Command("explain", "Show how a line is parsed, field by field, and how the config's rules see it") { parserOpt, inputOpt, historyOpt, line };
        cmd.SetAction(r =>
        {
            var text = r.GetValue(line)!;
            var withConfig = r.GetValue(GlobalOptions.Config) is not null;
            GumshoeConfig? config = null;
            RuleSet? rules = null;
            IParser parser;
            var context = new ParseContext { TimeZone = TimeZoneInfo.Local };
            if (withConfig)
            {
                try
                {
                    config = GlobalOptions.LoadConfig(r);
                    rules = RuleSet.Compile(config, new MetricsRegistry());
                }
                catch (ConfigException ex) { Console.Error.WriteLine($"error: {ex.Message}"); return 2; }
            }
            if (r.GetValue(parserOpt) is { } name)
            {
                if (!ParserLookup.TryFind(r, name, out var found, out var error)) { Console.Error.WriteLine($"error: {error}"); return 2; }
                parser = found;
            }
            else if (config is not null)
            {
                var inputName = r.GetValue(inputOpt);
                var input = inputName is null ? (config.Inputs.Count == 1 ? config.Inputs[0] : null) : config.Inputs.FirstOrDefault(i => i.Name == inputName);
                if (input is null)
                {
                    Console.Error.WriteLine($"error: say which input's parser to use with --input ({string.Join(", ", config.Inputs.Select(i => i.Name))}) or give --parser");
                    return 2;
                }
                parser = input.Parser;
                context = input.ParseContext;
            }
            else { Console.Error.WriteLine("error: give --parser NAME, or -c CONFIG to use its input's parser and rules"); return 2; }
            var sink = new CollectingSink();
            if (rules is not null && r.GetValue(historyOpt) is { } history)
            {
                if (!File.Exists(history)) { Console.Error.WriteLine($"error: {history}: no such file"); return 2; }
                long offset = 0;
                foreach (var h in File.ReadLines(history))
                {
                    var he = new Event { Original = h, Input = "explain", Timestamp = DateTimeOffset.UtcNow, FilePath = Path.GetFullPath(history), Offset = offset };
                    offset += System.Text.Encoding.UTF8.GetByteCount(h) + 1;
                    if (parser.Parse(h, he, context).Status == ParseStatus.Matched) rules.OnEvent(he, sink);
                }
                Console.WriteLine($"history: {history}: {sink.Alerts.Count} alert(s)");
                sink.Alerts.Clear();
            }
            var e = new Event { Original = text, Input = "explain", Timestamp = DateTimeOffset.UtcNow };
            var outcome = parser.Parse(text, e, context);
            Console.WriteLine($"parser: {parser.Name}");
            Console.WriteLine($"result: {outcome.Status.ToString().ToLowerInvariant()}{(outcome.Reason is null ? "" : " (" + outcome.Reason + ")")}");
            if (outcome.Status != ParseStatus.Matched) return 1;
            var fields = e.Fields.ToList();
            var width = fields.Max(f => f.Key.Length);
            Console.WriteLine("fields:");
            foreach (var (fieldName, value) in fields)
                Console.WriteLine($"  {fieldName.PadRight(width)}  {value.Kind.ToString().ToLowerInvariant(),-9}  {value}");
            if (rules is null) return 0;
            // the state before this line, then what the line does
            Console.WriteLine("rules:");
            foreach (var (rule, list, before) in rules.Explain(e))
                Console.WriteLine($"  {rule}{(list == RuleSet.MainList ? "" : $" (list {list})")}: {before}");
            rules.OnEvent(e, sink);
            Console.WriteLine("after this line:");
            foreach (var (rule, _, after) in rules.Explain(e)) Console.WriteLine($"  {rule}: {after}");
            foreach (var a in sink.Alerts) Console.WriteLine($"  ALERT {a.Rule}: {a.Title}");
            return 0;
        });
        return cmd;
    }

    private sealed class CollectingSink : IAlertSink
    {
        public List<Alert> Alerts { get; } = [];
        public void Emit(Alert alert, Event? trigger) => Alerts.Add(alert);
    }
}
