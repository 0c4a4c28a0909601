using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using YamlException = YamlDotNet.Core.YamlException;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Config;

/// <summary>A loaded, validated configuration: every component built, nothing started.</summary>
public sealed class GumshoeConfig
{
    /// <summary>Top-level sections, in the order they are read.</summary>
    public static readonly string[] SectionNames = ["parsers", "inputs", "enrich", "rules", "analytics", "actions", "storage", "web", "cluster"];

    /// <summary>Where config files are looked for when <c>--config</c> is not given.</summary>
    public static IEnumerable<string> DefaultLocations()
    {
        yield return Path.GetFullPath("gumshoe.yml");
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".config", "gumshoe", "config.yml");
        yield return "/etc/gumshoe/config.yml";
    }

    /// <summary>The explicit path, else the first default location that exists.</summary>
    public static string Locate(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return System.IO.File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new ConfigException(explicitPath, 0, 0, "config file not found");
        foreach (var p in DefaultLocations()) if (System.IO.File.Exists(p)) return p;
        throw new ConfigException("gumshoe.yml", 0, 0, $"no config file: pass --config, or create one of {string.Join(", ", DefaultLocations())}");
    }

    public required string File { get; init; }
    public required ComponentContext Components { get; init; }
    public List<IInput> Inputs { get; } = [];
    public Dictionary<string, IParser> Parsers => Components.NamedParsers;
    /// <summary>Enrichers in the order they run, from <c>enrich:</c>.</summary>
    public List<Enrich.IEnricher> Enrichers { get; } = [];
    /// <summary>Typed options of the other sections (<c>storage</c>, <c>web</c>, <c>analytics</c>, <c>actions</c>), by name.</summary>
    public Dictionary<string, object> Sections { get; } = new(StringComparer.Ordinal);
    /// <summary>Rule sections, kept as nodes for the rule compiler.</summary>
    public ConfigNode? Rules { get; set; }
    public ConfigNode Root { get; init; } = null!;

    /// <summary>Reads and validates a config file; any problem is a <see cref="ConfigException"/> with its location.</summary>
    public static GumshoeConfig Load(string path, ComponentRegistry registry, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var full = Path.GetFullPath(path);
        var baseDir = Path.GetDirectoryName(full)!;
        YamlStream yaml = new();
        try
        {
            using var reader = new StreamReader(full);
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new ConfigException(full, ex.Start.Line, ex.Start.Column, "invalid YAML: " + (ex.InnerException?.Message ?? ex.Message));
        }
        catch (IOException ex)
        {
            throw new ConfigException(full, 0, 0, ex.Message);
        }
        var doc = yaml.Documents.FirstOrDefault()?.RootNode ?? new YamlMappingNode();
        var root = new ConfigNode(doc, full, baseDir, env);
        if (!root.IsMapping) throw root.Error("the config must be a mapping of sections (inputs:, rules: …)");
        var context = new ComponentContext { Registry = registry, ConditionCompiler = Gumshoe.Engine.Rules.Conditions.ConditionCompiler.Compile };
        var config = new GumshoeConfig { File = full, Components = context, Root = root };

        if (root.Get("parsers") is { IsNull: false } parsers)
        {
            foreach (var p in parsers.Items)
            {
                var name = p.Required("name").AsString();
                var type = p.Required("type").AsString();
                if (context.NamedParsers.ContainsKey(name)) throw p.Error($"parser '{name}' is defined twice");
                context.NamedParsers[name] = registry.CreateParser(type, p, context);
                p.EnsureNoUnknownKeys($"parser '{name}'");
            }
        }
        if (root.Get("inputs") is { IsNull: false } inputs)
        {
            foreach (var i in inputs.Items)
            {
                var type = i.Required("type").AsString();
                var input = registry.CreateInput(type, i, context);
                if (config.Inputs.Any(x => x.Name == input.Name)) throw i.Error($"input '{input.Name}' is defined twice");
                config.Inputs.Add(input);
                i.EnsureNoUnknownKeys($"input '{input.Name}'");
            }
        }
        if (root.Get("enrich") is { IsNull: false } enrich)
        {
            // a mapping keeps the order enrichers run in: geoip before a rule-less identity mapping, and so on
            foreach (var (type, node) in enrich.Entries)
            {
                config.Enrichers.Add(registry.CreateEnricher(type, node, context));
                node.EnsureNoUnknownKeys($"enricher '{type}'");
            }
        }
        config.Rules = root.Get("rules");
        foreach (var section in new[] { "analytics", "actions", "storage", "web", "cluster" })
        {
            if (root.Get(section) is not { IsNull: false } node) continue;
            if (!registry.TryReadSection(section, node, context, out var options))
                throw node.Error($"section '{section}' is not supported by this version of gumshoe yet");
            node.EnsureNoUnknownKeys($"section '{section}'");
            config.Sections[section] = options;
        }
        root.EnsureNoUnknownKeys("the config (sections: " + string.Join(", ", SectionNames) + ")");
        return config;
    }
}
