using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Pipeline;

/// <summary>What a component factory gets besides its own options: the registry and where state lives.</summary>
public sealed class ComponentContext
{
    public required ComponentRegistry Registry { get; init; }
    /// <summary>Parsers defined so far under <c>parsers:</c>, by name.</summary>
    public Dictionary<string, IParser> NamedParsers { get; } = new(StringComparer.Ordinal);

    /// <summary>The store (decisions, alerts, users …): options from <c>storage:</c>, data directory from the host, opened on first use.</summary>
    public Storage.StoreProvider Storage { get; } = new();

    /// <summary>The <c>cluster:</c> section, when the config scales out over NATS.</summary>
    public Cluster.ClusterOptions? Cluster { get; set; }

    /// <summary>Compiles a rule-style condition node (a chain step's <c>when:</c>) into a predicate; null when conditions are unavailable.</summary>
    public Func<ConfigNode, Func<Events.Event, bool>>? ConditionCompiler { get; set; }

    /// <summary>Resolves a parser name: a configured parser first, then a built-in pack.</summary>
    public IParser ResolveParser(string name, ConfigNode at) =>
        NamedParsers.TryGetValue(name, out var p) ? p
        : Registry.TryCreatePack(name, out var pack) ? pack
        : throw at.Error($"unknown parser '{name}' (built-in: {string.Join(", ", Registry.PackNames)}; configured: {string.Join(", ", NamedParsers.Keys)})");
}

/// <summary>Maps the <c>type</c> names used in configuration to component factories.</summary>
public sealed class ComponentRegistry
{
    private readonly Dictionary<string, Func<ConfigNode, ComponentContext, IParser>> _parsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IParser>> _packs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ConfigNode, ComponentContext, IInput>> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ConfigNode, ComponentContext, IEnricher>> _enrichers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ConfigNode, ComponentContext, object>> _sections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ConfigNode, ComponentContext, IAction>> _actions = new(StringComparer.Ordinal);

    /// <summary>Registers a configurable parser type (<c>type: regex</c>, <c>type: json</c> …).</summary>
    public ComponentRegistry AddParser(string type, Func<ConfigNode, ComponentContext, IParser> factory) { _parsers.Add(type, factory); return this; }

    /// <summary>Registers a ready-made parser pack usable by name without configuration (<c>sshd</c> …).</summary>
    public ComponentRegistry AddPack(string name, Func<IParser> factory) { _packs.Add(name, factory); return this; }

    /// <summary>Registers an input type (<c>type: file</c> …).</summary>
    public ComponentRegistry AddInput(string type, Func<ConfigNode, ComponentContext, IInput> factory) { _inputs.Add(type, factory); return this; }

    /// <summary>Registers an enricher type, configured as a key under <c>enrich:</c> (<c>geoip: {city_db: …}</c>).</summary>
    public ComponentRegistry AddEnricher(string type, Func<ConfigNode, ComponentContext, IEnricher> factory) { _enrichers.Add(type, factory); return this; }

    /// <summary>
    /// Registers the reader of a top-level section (<c>storage</c>, <c>web</c>, <c>analytics</c>, <c>actions</c>):
    /// it validates the section at load time and returns its typed options, found later in
    /// <see cref="Config.GumshoeConfig.Sections"/>.
    /// </summary>
    public ComponentRegistry AddSection(string name, Func<ConfigNode, ComponentContext, object> reader) { _sections[name] = reader; return this; } // a host may replace a section reader

    /// <summary>Registers an action type usable in a rule's <c>then:</c> list (<c>- webhook: {url: …}</c>).</summary>
    public ComponentRegistry AddAction(string type, Func<ConfigNode, ComponentContext, IAction> factory) { _actions.Add(type, factory); return this; }

    public IEnumerable<string> ActionTypes => _actions.Keys.Order(StringComparer.Ordinal);

    public bool HasAction(string type) => _actions.ContainsKey(type);

    public IAction CreateAction(string type, ConfigNode node, ComponentContext context) =>
        _actions.TryGetValue(type, out var f) ? f(node, context)
        : throw node.Error($"unknown action '{type}' (known: {string.Join(", ", ActionTypes)})");

    public IEnumerable<string> EnricherTypes => _enrichers.Keys.Order(StringComparer.Ordinal);
    public IEnumerable<string> SectionNames => _sections.Keys.Order(StringComparer.Ordinal);

    public IEnricher CreateEnricher(string type, ConfigNode node, ComponentContext context) =>
        _enrichers.TryGetValue(type, out var f) ? f(node, context)
        : throw node.Error($"unknown enricher '{type}' (known: {string.Join(", ", EnricherTypes)})");

    public bool TryReadSection(string name, ConfigNode node, ComponentContext context, out object options)
    {
        if (_sections.TryGetValue(name, out var f)) { options = f(node, context); return true; }
        options = null!;
        return false;
    }

    public IEnumerable<string> PackNames => _packs.Keys.Order(StringComparer.Ordinal);
    public IEnumerable<string> ParserTypes => _parsers.Keys.Order(StringComparer.Ordinal);
    public IEnumerable<string> InputTypes => _inputs.Keys.Order(StringComparer.Ordinal);

    public bool TryCreatePack(string name, out IParser parser)
    {
        if (_packs.TryGetValue(name, out var f)) { parser = f(); return true; }
        parser = null!;
        return false;
    }

    public IParser CreateParser(string type, ConfigNode node, ComponentContext context) =>
        _parsers.TryGetValue(type, out var f) ? f(node, context)
        : throw node.Error($"unknown parser type '{type}' (known: {string.Join(", ", ParserTypes)})");

    public IInput CreateInput(string type, ConfigNode node, ComponentContext context) =>
        _inputs.TryGetValue(type, out var f) ? f(node, context)
        : throw node.Error($"unknown input type '{type}' (known: {string.Join(", ", InputTypes)})");
}
