using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using Gumshoe.Engine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Cli.Commands;

/// <summary>Finds a parser by name: a built-in pack, or one defined in the config when <c>--config</c> is given.</summary>
internal static class ParserLookup
{
    /// <summary>The parser named <paramref name="name"/>, or false with a message for the user (an unknown name, a bad config).</summary>
    public static bool TryFind(ParseResult r, string name, [NotNullWhen(true)] out IParser? parser, out string error)
    {
        parser = null;
        error = "";
        var registry = BuiltInComponents.Create();
        if (r.GetValue(GlobalOptions.Config) is { } path)
        {
            try
            {
                var config = GumshoeConfig.Load(GumshoeConfig.Locate(path), registry);
                if (config.Parsers.TryGetValue(name, out parser)) return true;
            }
            catch (ConfigException ex)
            {
                error = ex.Message;
                return false;
            }
        }
        if (registry.TryCreatePack(name, out var pack))
        {
            parser = pack;
            return true;
        }
        error = $"unknown parser '{name}'; built-in parsers: {string.Join(", ", registry.PackNames)}";
        return false;
    }
}
