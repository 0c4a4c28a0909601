using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Web.Activity;

/// <summary>A configured rule as the rules page describes it.</summary>
public sealed record RuleInfo(string Name, string Type, string? Description, string? When, string? GroupBy, int? Count, string? Within);

/// <summary>Lines an input delivered, by parse outcome, from the pipeline's counters.</summary>
public sealed record InputHealth(string Input, long Matched, long Unmatched, long Dropped, long Failed);

/// <summary>
/// What the web UI shows of a run: the store, the metrics, the recent-activity window and the configured rules.
/// A host without a live pipeline (tests, a read-only UI) passes an empty activity window and no rules.
/// </summary>
public sealed class RunView(GumshoeStore store, MetricsRegistry metrics, LiveActivity activity, IReadOnlyList<RuleInfo> rules, LoginHistory? logins = null)
{
    /// <summary>Users' login locations and verdicts (empty without login analytics).</summary>
    public LoginHistory Logins { get; } = logins ?? new LoginHistory();

    public GumshoeStore Store { get; } = store;
    public MetricsRegistry Metrics { get; } = metrics;
    public LiveActivity Activity { get; } = activity;
    public IReadOnlyList<RuleInfo> Rules { get; } = rules;

    /// <summary>Events a rule's condition matched so far in this run.</summary>
    public long RuleHits(string rule) => Counter("gumshoe_rule_matches_total", l => l.GetValueOrDefault("rule") == rule).Sum(c => c.Value);

    /// <summary>Per input, the lines parsed, not recognised, dropped and failed.</summary>
    public List<InputHealth> Inputs()
    {
        var byInput = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (labels, value) in Counter("gumshoe_parser_lines_total", _ => true))
        {
            var input = labels.GetValueOrDefault("input") ?? "?";
            if (!byInput.TryGetValue(input, out var v)) byInput[input] = v = new long[4];
            var i = labels.GetValueOrDefault("status") switch { "matched" => 0, "unmatched" => 1, "dropped" => 2, _ => 3 };
            v[i] += value;
        }
        return [.. byInput.Select(kv => new InputHealth(kv.Key, kv.Value[0], kv.Value[1], kv.Value[2], kv.Value[3]))];
    }

    /// <summary>Whether the last checkpoint commit worked (null when nothing checkpoints here).</summary>
    public bool? CheckpointHealthy =>
        Metrics.Snapshot().Where(m => m.Name == "gumshoe_checkpoint_healthy").Select(m => (bool?)(m.Value == 1)).FirstOrDefault();

    private IEnumerable<(Dictionary<string, string> Labels, long Value)> Counter(string name, Func<Dictionary<string, string>, bool> match) =>
        Metrics.Snapshot().Where(m => m.Name == name).Select(m => (Labels: ParseLabels(m.Labels), m.Value)).Where(m => match(m.Labels));

    // {a="x",b="y\"z"} → a=x, b=y"z
    private static Dictionary<string, string> ParseLabels(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 1;
        while (i < text.Length - 1)
        {
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq];
            var sb = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\' && j + 1 < text.Length) { j++; sb.Append(text[j] == 'n' ? '\n' : text[j]); }
                else sb.Append(text[j]);
            }
            result[key] = sb.ToString();
            i = j + 2;
        }
        return result;
    }

    /// <summary>The rules of a config's <c>rules:</c> section.</summary>
    public static List<RuleInfo> RulesOf(ConfigNode? section)
    {
        var list = new List<RuleInfo>();
        foreach (var node in section?.Items ?? [])
        {
            var when = node.Get("when") is { IsScalar: true } w ? w.AsString() : node.Get("when") is { } wn ? "(structured condition)" : null;
            var group = node.Get("group_by") is { IsNull: false } g ? (g.IsSequence ? string.Join(", ", g.AsStringList()) : g.AsString()) : null;
            list.Add(new RuleInfo(node.Required("name").AsString(), node.String("type") ?? "single", node.String("description"), when, group,
                node.Get("count") is { IsScalar: true } c && int.TryParse(c.AsString(), out var n) ? n : null, node.String("within")));
        }
        return list;
    }
}
