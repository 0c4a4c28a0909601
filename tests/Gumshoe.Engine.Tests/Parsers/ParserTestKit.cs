using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Tests.Parsers;

/// <summary>Builds parsers from YAML snippets and runs lines through them with a fixed reference clock.</summary>
internal static class ParserTestKit
{
    /// <summary>The reference time year-less stamps are placed against: 2024-06-01 UTC.</summary>
    public static readonly DateTimeOffset Reference = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static ParseContext Context(TimeZoneInfo? zone = null, DateTimeOffset? reference = null)
    {
        var r = reference ?? Reference;
        return new ParseContext { TimeZone = zone ?? TimeZoneInfo.Utc, Years = new YearInference { Reference = () => r } };
    }

    /// <summary>A config node for a YAML document (not from a file).</summary>
    public static ConfigNode Node(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new ConfigNode(stream.Documents[0].RootNode, "test.yml", Directory.GetCurrentDirectory(), _ => null);
    }

    public static ComponentContext Components(Func<ConfigNode, Func<Event, bool>>? conditions = null) =>
        new() { Registry = BuiltInComponents.Create(), ConditionCompiler = conditions };

    /// <summary>Builds a parser the way the config loader does, unknown-key check included.</summary>
    public static IParser Build(string yaml, ComponentContext? context = null)
    {
        context ??= Components();
        var node = Node(yaml);
        var type = node.Required("type").AsString();
        node.Required("name");
        var parser = context.Registry.CreateParser(type, node, context);
        node.EnsureNoUnknownKeys("parser");
        return parser;
    }

    public static (ParseOutcome Outcome, Event Event) Run(IParser parser, string line, ParseContext? context = null)
    {
        var e = new Event { Original = line, Timestamp = Reference, Input = "test" };
        var outcome = parser.Parse(line, e, context ?? Context());
        return (outcome, e);
    }

    /// <summary>Writes a config file to a temp folder and loads it.</summary>
    public static GumshoeConfig LoadConfig(string yaml)
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-parsers-");
        var path = Path.Combine(dir.FullName, "gumshoe.yml");
        File.WriteAllText(path, yaml);
        try { return GumshoeConfig.Load(path, BuiltInComponents.Create(), _ => null); }
        finally { dir.Delete(true); }
    }
}
