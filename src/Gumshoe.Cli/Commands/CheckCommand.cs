using System.CommandLine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe check</c>: loads and validates the config without starting anything.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var cmd = new Command("check", "Validate the config without running");
        cmd.SetAction(r =>
        {
            try
            {
                var config = GlobalOptions.LoadConfig(r);
                var rules = RuleSet.Compile(config, new MetricsRegistry());
                Console.WriteLine($"{config.File}: ok ({config.Inputs.Count} inputs, {config.Parsers.Count} parsers, {config.Enrichers.Count} enrichers, {rules.Rules.Count} rules)");
                return 0;
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
