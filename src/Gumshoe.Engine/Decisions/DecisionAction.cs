using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Decisions;

/// <summary>
/// The rule action <c>decision</c>: puts the alert's entity in the penalty box.
/// <c>{scope: ip|range|user|mac|field, field, ipv6_prefix, duration: 1h|permanent, escalate: [4h, x24, permanent],
/// decay, reason, explain, remediation, priority, self_release: {max}, grace, allow: {cidrs, users, values},
/// on_apply: [...], on_release: [...]}</c>. Repeats of the rule on the same entity extend or escalate the
/// decision; the same alert applied twice changes nothing.
/// </summary>
public sealed class DecisionAction : IAction, IActionLimits
{
    // One at a time, in the order the rules raised them: a repeat on the same entity must see the decision of the
    // offence before it to extend or escalate it, so that live, replay and a restart give the same levels.
    int IActionLimits.MaxConcurrency => 1;
    int? IActionLimits.Attempts => null;

    private readonly StoreProvider _stores;
    private readonly string _scope;
    private readonly string _field;
    private readonly int _ipv6Prefix;
    private readonly IReadOnlyList<TimeSpan?> _steps;
    private readonly TimeSpan _decay;
    private readonly Template _reason;
    private readonly Template? _explain;
    private readonly Template? _remediation;
    private readonly int _priority;
    private readonly int _selfReleaseMax;
    private readonly TimeSpan _grace;
    private readonly AllowList _allow;

    private DecisionAction(StoreProvider stores, string scope, string field, int ipv6Prefix, IReadOnlyList<TimeSpan?> steps, TimeSpan decay,
        Template reason, Template? explain, Template? remediation, int priority, int selfReleaseMax, TimeSpan grace, AllowList allow,
        IReadOnlyList<string> onApply, IReadOnlyList<string> onRelease)
    {
        _stores = stores; _scope = scope; _field = field; _ipv6Prefix = ipv6Prefix; _steps = steps; _decay = decay; _reason = reason;
        _explain = explain; _remediation = remediation; _priority = priority; _selfReleaseMax = selfReleaseMax; _grace = grace;
        _allow = allow; OnApply = onApply; OnRelease = onRelease;
    }

    public string Type => "decision";

    /// <summary>Effect ids journaled when a decision is applied.</summary>
    public IReadOnlyList<string> OnApply { get; }
    /// <summary>Effect ids journaled when it is released or expires.</summary>
    public IReadOnlyList<string> OnRelease { get; }

    /// <summary>Reads the action's options; its effects are built with the registry's actions and registered by id.</summary>
    public static DecisionAction Create(ConfigNode node, ComponentContext context)
    {
        if (!node.IsMapping) throw node.Error("decision: expected a mapping such as {scope: ip, duration: 1h, reason: ...}");
        var scopeNode = node.Required("scope");
        var scope = scopeNode.AsString().Trim();
        if (!DecisionScope.Names.Contains(scope))
            throw scopeNode.Error($"decision: unknown scope '{scope}' (known: {string.Join(", ", DecisionScope.Names)})");
        var field = node.String("field") ?? DecisionScope.DefaultField(scope) ?? throw node.Error("decision: scope field needs 'field: NAME'");
        var ipv6Prefix = node.Int("ipv6_prefix", 1, 128) ?? 64;
        var durationNode = node.Get("duration");
        TimeSpan? duration = durationNode is { IsNull: false } ? Step(durationNode, null) : TimeSpan.FromHours(1);
        var steps = new List<TimeSpan?> { duration };
        foreach (var item in node.Get("escalate")?.Items ?? []) steps.Add(Step(item, duration));
        var decay = node.DurationAt("decay") ?? TimeSpan.FromDays(1);
        var selfRelease = 0;
        if (node.Get("self_release") is { IsNull: false } sr)
        {
            selfRelease = sr.IsMapping ? sr.Int("max", 0, 1000) ?? 1 : sr.AsBool() ? 1 : 0;
            if (sr.IsMapping) sr.EnsureNoUnknownKeys("decision.self_release");
        }
        var action = new DecisionAction(context.Storage, scope, field, ipv6Prefix, steps, decay,
            new Template(node.String("reason") ?? "{rule}"),
            node.String("explain") is { } ex ? new Template(ex) : null,
            node.String("remediation") is { } rem ? new Template(rem) : null,
            node.Int("priority", -1000, 1000) ?? 0, selfRelease, node.DurationAt("grace") ?? TimeSpan.Zero,
            node.Get("allow") is { IsNull: false } allow ? AllowList.Read(allow) : AllowList.Empty,
            Effects(node.Get("on_apply"), context), Effects(node.Get("on_release"), context));
        context.Storage.DecisionActions++;
        return action;
    }

    // a step is a duration, `permanent`, or a multiple of the first duration (`x4`)
    private static TimeSpan? Step(ConfigNode node, TimeSpan? first)
    {
        var text = node.AsString().Trim();
        if (text.Equals("permanent", StringComparison.OrdinalIgnoreCase)) return null;
        if (text.StartsWith('x') && double.TryParse(text.AsSpan(1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0)
            return first is { } f ? TimeSpan.FromTicks((long)(f.Ticks * m)) : throw node.Error("decision: a multiplier needs a finite duration to multiply");
        return Duration.TryParse(text, out var d) && d > TimeSpan.Zero ? d : throw node.Error($"decision: expected a duration (1h), a multiplier (x4) or 'permanent', got '{text}'");
    }

    // `on_apply: [{webhook: {...}}, {exec: {...}}]`: each effect is built now (so config errors show at load) and
    // registered under an id derived from its configuration, which the journal records
    private static List<string> Effects(ConfigNode? list, ComponentContext context)
    {
        var ids = new List<string>();
        foreach (var item in list?.Items ?? [])
        {
            foreach (var (type, body) in item.Entries)
            {
                if (type == "decision") throw body.Error("decision: a decision's effect cannot be another decision");
                var action = context.Registry.CreateAction(type, body, context);
                body.EnsureNoUnknownKeys($"{type} action");
                var id = $"{type}#{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(body.Node))).AsSpan(0, 8))}";
                ids.Add(context.Storage.RegisterEffect(id, action));
            }
        }
        return ids;
    }

    private static string Canonical(YamlNode node) => node switch
    {
        YamlScalarNode s => "\"" + (s.Value ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        YamlSequenceNode q => "[" + string.Join(",", q.Children.Select(Canonical)) + "]",
        YamlMappingNode m => "{" + string.Join(",", m.Children.Select(c => Canonical(c.Key) + ":" + Canonical(c.Value)).Order(StringComparer.Ordinal)) + "}",
        _ => "",
    };

    /// <summary>The penalty this action asks for, filled from one alert (<paramref name="request"/>).</summary>
    public DecisionRequest RequestFor(ActionRequest request)
    {
        var value = request.Values.GetValueOrDefault(_field) ?? request.Event.GetString(_field);
        if (string.IsNullOrWhiteSpace(value))
            throw new ActionFailedException($"decision: the alert has no value for '{_field}' (scope {_scope})", retryable: false);
        // the alert id identifies the trigger; a request resumed from the journal after a restart (or recorded by an
        // analyser for a responder) has no live alert but keeps it among its values, so it is recognised, not re-applied
        var alertId = request.Alert?.Id ?? request.Values.GetValueOrDefault("id");
        return new DecisionRequest
        {
            Scope = _scope, Value = value, Rule = request.Rule, Window = alertId ?? request.Key, AlertId = alertId,
            Reason = _reason.Render(request.Event, request.Values), Explain = _explain?.Render(request.Event, request.Values),
            Remediation = _remediation?.Render(request.Event, request.Values), Steps = _steps, Decay = _decay, Priority = _priority,
            SelfReleaseMax = _selfReleaseMax, Grace = _grace, Ipv6Prefix = _ipv6Prefix, OnApply = OnApply, OnRelease = OnRelease, Allow = _allow,
        };
    }

    public async Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var decision = RequestFor(request);
        try
        {
            var store = await _stores.GetAsync(cancellationToken);
            await store.Decisions.ApplyAsync(decision, "rule:" + request.Rule, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new ActionFailedException($"decision: {ex.Message}", retryable: false, inner: ex);
        }
        catch (Exception ex) when (ex is DbException or StorageException or IOException)
        {
            throw new ActionFailedException($"decision: store unavailable: {ex.Message}", retryable: true, inner: ex);
        }
    }
}
