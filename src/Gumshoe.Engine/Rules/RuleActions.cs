using System.Globalization;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// A rule's compiled <c>then:</c> list. <c>alert</c> sets the alert's title and description; <c>emit</c> and
/// <c>call</c> act on the pipeline itself (a derived event for other rules; another rule list on this event) and
/// are deterministic, so they run in replay too; every other entry is a side-effect action from the registry
/// (<c>exec</c>, <c>webhook</c>, <c>log</c> …), handed to the action journal and run exactly once in live mode.
/// </summary>
public sealed class RuleActions
{
    private readonly string _rule;
    private readonly string _input; // the input name of the events it makes: rule:NAME
    private Template _title;
    private Template? _description;
    private readonly List<Entry> _entries = [];

    private abstract record Entry(int Index);
    private sealed record EmitEntry(int Index, (string Field, Template Value)[] Fields) : Entry(Index);
    private sealed record CallEntry(int Index, string List, ConfigNode At) : Entry(Index);
    private sealed record SideEffect(int Index, IAction Action) : Entry(Index);

    private RuleActions(string rule)
    {
        _rule = rule;
        _input = "rule:" + rule;
        _title = new Template($"{rule} for {{group}}");
    }

    /// <summary>Rule lists named by <c>call:</c>, with where they were named (checked once all rules are known).</summary>
    public IEnumerable<(string List, ConfigNode At)> Calls => _entries.OfType<CallEntry>().Select(c => (c.List, c.At));

    /// <summary>Compiles a rule's <c>then:</c> list; side-effect actions come from the registry.</summary>
    public static RuleActions Compile(ConfigNode? then, string rule, ComponentContext components)
    {
        var actions = new RuleActions(rule);
        if (then is null || then.IsNull) { actions.FindNeeded(); return actions; }
        var index = 0;
        foreach (var item in then.Items)
        {
            var entries = item.Entries.ToList();
            if (entries.Count != 1) throw item.Error("each entry of 'then' is one action: '- alert: {...}', '- exec: {...}' …");
            var (type, body) = entries[0];
            switch (type)
            {
                case "alert":
                    if (body.IsMapping)
                    {
                        if (body.String("title") is { } t) actions._title = new Template(t);
                        if (body.String("description") is { } d) actions._description = new Template(d);
                        body.EnsureNoUnknownKeys("alert action");
                    }
                    break;
                case "emit":
                    actions._entries.Add(new EmitEntry(index, body.Entries.Select(f => (f.Key, new Template(f.Value.AsString()))).ToArray()));
                    break;
                case "call":
                    actions._entries.Add(new CallEntry(index, body.AsString(), body));
                    break;
                default:
                    if (!components.Registry.HasAction(type))
                        throw body.Error($"unknown action '{type}' (known: alert, emit, call, {string.Join(", ", components.Registry.ActionTypes)})");
                    actions._entries.Add(new SideEffect(index, components.Registry.CreateAction(type, body, components)));
                    if (body.IsMapping) body.EnsureNoUnknownKeys($"{type} action");
                    break;
            }
            index++;
        }
        actions.FindNeeded();
        return actions;
    }

    /// <summary>Whether the list has side-effect actions (exec, webhook, decisions …), which are handed whole events.</summary>
    public bool HasSideEffects => _entries.OfType<SideEffect>().Any();

    /// <summary>Whether an alert feeds events back into the rules (<c>emit</c> or <c>call</c>).</summary>
    public bool FeedsBack => _entries.Any(e => e is EmitEntry or CallEntry);

    /// <summary>The event fields the title, the description and emitted events name (and the alert's own values).</summary>
    public IEnumerable<string> Fields =>
        _entries.OfType<EmitEntry>().SelectMany(e => e.Fields.Select(f => f.Value)).Append(_title).Append(_description).SelectMany(t => t?.Fields ?? []);

    /// <summary>The side-effect action at a <c>then:</c> index (to resume a journaled request after a restart).</summary>
    public IAction? ActionAt(int index) => _entries.OfType<SideEffect>().FirstOrDefault(s => s.Index == index)?.Action;

    /// <summary>The values templates are filled from: the alert's own (rule, count, first_seen …) and its group.</summary>
    public static Dictionary<string, string> AlertValues(Alert alert) => AlertValues(alert, null);

    /// <summary>
    /// The values this rule's templates can read: with side-effect actions (which keep them all for a resumed
    /// request) every value, otherwise only those a placeholder names — an alert's id is a hash, its times formatted
    /// text, and most rules never show them.
    /// </summary>
    public Dictionary<string, string> Values(Alert alert)
    {
        if (_entries.Count > 0) return AlertValues(alert, _needed);
        // nothing runs after the alert, so nothing keeps its values past the rule's emit: one dictionary serves them all
        var reused = _reused ??= new Dictionary<string, string>(StringComparer.Ordinal);
        reused.Clear();
        return AlertValues(alert, _needed, reused);
    }

    private Dictionary<string, string>? _reused;

    private static Dictionary<string, string> AlertValues(Alert alert, HashSet<string>? needed, Dictionary<string, string>? into = null)
    {
        var v = into ?? new Dictionary<string, string>(StringComparer.Ordinal);
        bool Wanted(string key) => needed is null || needed.Contains(key);
        v["rule"] = alert.Rule;
        if (Wanted("id")) v["id"] = alert.Id;
        if (Wanted("count")) v["count"] = alert.Count.ToString(CultureInfo.InvariantCulture);
        if (Wanted("suppressed")) v["suppressed"] = alert.Suppressed.ToString(CultureInfo.InvariantCulture);
        if (Wanted("first_seen")) v["first_seen"] = EventTime.Format(alert.FirstSeen);
        if (Wanted("last_seen")) v["last_seen"] = EventTime.Format(alert.LastSeen);
        if (Wanted("group")) v["group"] = alert.Group.Count == 1 ? alert.Group[0].Value : string.Join(", ", alert.Group.Select(g => g.Value));
        foreach (var (k, val) in alert.Group) v[k] = val;
        return v;
    }

    // placeholders of the title, description and emitted fields; null: every value is needed (side effects)
    private HashSet<string>? _needed;

    // the values an alert gives its templates whatever its group (Values, Decorate)
    private static readonly HashSet<string> AlertValueNames =
        ["rule", "id", "count", "suppressed", "first_seen", "last_seen", "group", "title", "description"];

    private void FindNeeded()
    {
        _needed = HasSideEffects ? null : new HashSet<string>(Fields, StringComparer.Ordinal);
        _readsTrigger = _entries.Count > 0 || Fields.Any(f => !AlertValueNames.Contains(f));
    }

    // Whether anything of the list reads the triggering event: any entry but alert, or a placeholder that is not one
    // of the alert's own values (a group's field counts, though the alert holds it: the group is not known here).
    private bool _readsTrigger;

    /// <summary>
    /// The event an alert's title, description and entries read: the one that raised it or, when none did (absence
    /// fires on the passing of time) and the list reads one, an event standing in for the group (the group's values
    /// and the rule's name, at the time and place of the alert's first event); otherwise null.
    /// </summary>
    public Event? TriggerFor(Alert alert, Event? trigger) => trigger ?? (_readsTrigger ? StandIn(alert) : null);

    private Event StandIn(Alert alert)
    {
        var at = alert.Events.Count > 0 ? alert.Events[0] : new EventRef(alert.FirstSeen, null, -1);
        var e = new Event(alert.Group.Count + 1) { Timestamp = at.Timestamp, FilePath = at.Path, Offset = at.Offset, Input = _input };
        foreach (var (k, v) in alert.Group) e.Set(k, v);
        e.Set("rule.name", _rule);
        return e;
    }

    /// <summary>Fills the alert's title and description (without an event when none is read: see <see cref="TriggerFor"/>).</summary>
    public void Decorate(Alert alert, Event? trigger, Dictionary<string, string> values)
    {
        alert.Title = _title.Render(trigger, values);
        alert.Description = _description?.Render(trigger, values);
        values["title"] = alert.Title;
        if (alert.Description is not null) values["description"] = alert.Description;
    }

    /// <summary>Runs the <c>then:</c> entries after the alert was written; <paramref name="trigger"/> is <see cref="TriggerFor"/>'s, never null when there are entries.</summary>
    public void Run(Alert alert, Event? trigger, Dictionary<string, string> values, RuleSet.Dispatch dispatch)
    {
        if (_entries.Count == 0) return;
        ArgumentNullException.ThrowIfNull(trigger);
        foreach (var entry in _entries)
        {
            switch (entry)
            {
                case EmitEntry emit:
                    dispatch.Emit(Derive(alert, trigger, values, emit));
                    break;
                case CallEntry call:
                    dispatch.Call(trigger, call.List);
                    break;
                case SideEffect side:
                    dispatch.Act(side.Action, side.Index, new ActionRequest(
                        $"{alert.Rule}|{string.Join(",", alert.Group.Select(g => g.Key + "=" + g.Value))}|{alert.FirstSeen.UtcTicks}|{side.Index}",
                        alert.Rule, alert, trigger, RequestValues(trigger, values)));
                    break;
            }
        }
    }

    // Everything a deferred action may need, as text, so a request resumed after a restart renders the same.
    private static Dictionary<string, string> RequestValues(Event trigger, Dictionary<string, string> values)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in trigger.Fields) if (!v.IsNull) all[k] = v.ToString();
        foreach (var (k, v) in values) all[k] = v;
        return all;
    }

    private Event Derive(Alert alert, Event trigger, Dictionary<string, string> values, EmitEntry emit)
    {
        var e = new Event
        {
            Timestamp = alert.LastSeen, Input = _input, FilePath = trigger.FilePath, Offset = trigger.Offset,
        };
        foreach (var (k, v) in alert.Group) e.Set(k, FieldTypes.Auto(k, v));
        e.Set("rule.name", _rule);
        e.Set("event.kind", "signal");
        e.Set("event.count", FieldValue.Long(alert.Count));
        e.Set("event.start", FieldValue.Timestamp(alert.FirstSeen));
        e.Set("event.end", FieldValue.Timestamp(alert.LastSeen));
        foreach (var (field, template) in emit.Fields) e.Set(field, FieldTypes.Auto(field, template.Render(trigger, values)));
        return e;
    }
}
