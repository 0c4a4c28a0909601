using System.CommandLine;
using System.Reflection;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe version</c>: the version and runtime.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var cmd = new Command("version", "Print the version");
        cmd.SetAction(_ =>
        {
            var v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            // which build answered: the launcher runs `parse` and `replay` from the native one
            var build = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "portable" : "native";
            Console.WriteLine($"gumshoe {v.Split('+')[0]} (.NET {Environment.Version}, {build})");
            return 0;
        });
        return cmd;
    }
}
