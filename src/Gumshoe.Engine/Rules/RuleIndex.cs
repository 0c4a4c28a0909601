using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// A rule list's dispatch index: from the string value of one field (the one most rules require equal to a literal,
/// usually <c>event.action</c>) to the rules whose conditions can hold for it, in list order, with one field read and
/// one hash lookup per event. Rules without such a requirement are in every entry; so are clock-driven rules
/// (absence), which are told of the clock on every event but fed only the events they can match.
/// </summary>
public sealed class RuleIndex
{
    /// <summary>A rule to visit for an event: <see cref="Feed"/> false means it is only told of the clock.</summary>
    public readonly record struct Visit(RuleSet.CompiledRule Rule, bool Feed);

    /// <summary>A rule a batch feeds, with how it matches the events of the bucket (a null rule does not take batches).</summary>
    internal readonly record struct Feed(IBatchedRule? Rule, Func<Event, int>? Match);

    // The rules of one indexed value: all to visit, and those a batch feeds (see RuleSet.OnEvents) with their
    // conditions compiled for that value (the tests of the indexed field settled: a step or an `expect` of another
    // action is not even tried), so that a batch's pass over its events reads no visit it would skip.
    private sealed class Bucket(Visit[] visits, string? field, string? value)
    {
        public readonly Visit[] Visits = visits;
        public readonly Feed[] Feeds = [.. FeedsOf(visits, field, value)];

        private static IEnumerable<Feed> FeedsOf(Visit[] visits, string? field, string? value)
        {
            Func<Func<Event, bool>, Func<Event, bool>>? fold = field is null || value is null ? null : c => ConditionCompiler.Specialize(c, field, value);
            foreach (var v in visits.Where(v => v.Feed))
            {
                if (v.Rule.Batched is not { } rule) { yield return new Feed(null, null); continue; }
                if (rule.Matcher(fold) is { } match) yield return new Feed(rule, match);
            }
        }
    }

    private readonly Dictionary<string, Bucket> _byValue = new(StringComparer.OrdinalIgnoreCase);
    private readonly Bucket _otherwise; // field missing, or a string no indexed rule requires
    private readonly Bucket _all;       // field holding a non-string (number, address, array …): every rule

    /// <summary>The indexed field, or null when no rule requires a field to equal a literal (every rule is fed every event).</summary>
    public string? Field { get; }

    /// <summary>The values the index tells apart (for tests and <c>explain</c>).</summary>
    public IReadOnlyCollection<string> Values => _byValue.Keys;

    /// <summary>Builds the index of a list of rules (in list order); rules without known conditions are always fed.</summary>
    public RuleIndex(IReadOnlyList<RuleSet.CompiledRule> rules)
    {
        // per rule: field → values one of which some condition of the rule needs (every condition must require the field)
        var required = rules.Select(RequiredOf).ToArray();
        Field = required.SelectMany(r => r.Keys).GroupBy(f => f, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault() is { } field ? Events.FieldNames.Intern(field) : null;
        _all = new Bucket([.. rules.Select(r => new Visit(r, true))], null, null);
        var sets = required.Select(r => Field is not null && r.TryGetValue(Field, out var v) ? v : null).ToArray();
        _otherwise = BucketFor(rules, sets, Field, value: null);
        foreach (var value in sets.Where(s => s is not null).SelectMany(s => s!).Distinct(StringComparer.OrdinalIgnoreCase))
            _byValue[value] = BucketFor(rules, sets, Field, value);
    }

    private static Bucket BucketFor(IReadOnlyList<RuleSet.CompiledRule> rules, HashSet<string>?[] sets, string? field, string? value)
    {
        var visits = new List<Visit>();
        for (var i = 0; i < rules.Count; i++)
        {
            var feed = sets[i] is null || (value is not null && sets[i]!.Contains(value));
            if (feed || rules[i].Rule.ClockDriven) visits.Add(new Visit(rules[i], feed));
        }
        return new Bucket([.. visits], field, value);
    }

    private static Dictionary<string, HashSet<string>> RequiredOf(RuleSet.CompiledRule rule)
    {
        if (rule.Conditions is not { Count: > 0 } conditions) return [];
        Dictionary<string, HashSet<string>>? all = null;
        foreach (var condition in conditions)
        {
            var r = ConditionCompiler.RequiredValues(condition);
            if (all is null) { all = r; continue; }
            foreach (var field in all.Keys.ToList())
                if (r.TryGetValue(field, out var values)) all[field].UnionWith(values);
                else all.Remove(field);
        }
        return all ?? [];
    }

    /// <summary>The rules to visit for an event, in list order.</summary>
    public Visit[] For(Event e) => BucketOf(e).Visits;

    /// <summary>
    /// The rules that can match an event (<see cref="For"/> without the clock-only visits and the rules whose conditions
    /// the event's value settles as false), each with how it matches the event, as batches take them.
    /// </summary>
    internal Feed[] FeedsFor(Event e) => BucketOf(e).Feeds;

    private Bucket BucketOf(Event e)
    {
        if (Field is null) return _all;
        if (!e.TryGet(Field, ref _fieldHint, out var v) || v.IsNull) return _otherwise;
        if (v.Kind != FieldKind.String) return _all;
        var text = v.AsString();
        // parsers set event.action from their own constants: the same few string instances, event after event, which
        // an ordinal comparison recognises by reference before reading any character; a JSON event's own string, a new
        // instance each time, is compared by its characters. Either is much cheaper than hashing the text without
        // regard to case (an ordinal match is a match without regard to case). A slot is picked by length and last
        // char (no hashing), two to a set: two values of one set alternating keep both (a miss moves the first down).
        if (text.Length == 0) return _byValue.TryGetValue(text, out var none) ? none : _otherwise;
        var set = ((text.Length ^ text[^1]) & (RecentSets - 1)) * 2;
        ref var first = ref _recent[set];
        if (string.Equals(first.Text, text, StringComparison.Ordinal)) return first.Bucket;
        ref var second = ref _recent[set + 1];
        if (string.Equals(second.Text, text, StringComparison.Ordinal)) return second.Bucket;
        var bucket = _byValue.TryGetValue(text, out var found) ? found : _otherwise;
        second = first;
        first = new Recent(text, bucket);
        return bucket;
    }

    private int _fieldHint = -1; // where events have had the indexed field (see Event.TryGet)

    private const int RecentSets = 16;
    private readonly record struct Recent(string? Text, Bucket Bucket);
    private readonly Recent[] _recent = new Recent[RecentSets * 2];
}
