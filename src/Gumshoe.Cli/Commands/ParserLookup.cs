using System.CommandLine;
using Gumshoe.Engine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Cli.Commands;

/// <summary>Finds a parser by name: a built-in pack, or one defined in the config when <c>--config</c> is given.</summary>
internal static class ParserLookup
{
    public static IParser Find(ParseResult r, string name)
    {
        var registry = BuiltInComponents.Create();
        if (r.GetValue(GlobalOptions.Config) is { } path)
        {
            var config = GumshoeConfig.Load(GumshoeConfig.Locate(path), registry);
            if (config.Parsers.TryGetValue(name, out var p)) return p;
        }
        if (registry.TryCreatePack(name, out var pack)) return pack;
        throw new ArgumentException($"unknown parser '{name}'; built-in parsers: {string.Join(", ", registry.PackNames)}");
    }
}
