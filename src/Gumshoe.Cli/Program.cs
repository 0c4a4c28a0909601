using System.CommandLine;
using Gumshoe.Cli.Commands;

namespace Gumshoe.Cli;

/// <summary>The <c>gumshoe</c> command: parses arguments and hands each command to the engine.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Gumshoe: collect, parse and correlate security events.");
        foreach (var o in GlobalOptions.All) root.Options.Add(o);
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ParseCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
#if !GUMSHOE_NATIVE // the native flavour (see Gumshoe.Cli.csproj) has the streaming commands only
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(IsolationForestCommand.Create());
        root.Subcommands.Add(DecisionsCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(AlertsCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
#endif
        // On SIGTERM/Ctrl-C System.CommandLine cancels the command's token and, by default, exits with 143 after
        // 2 s whether or not the command finished: that cut `run` short before its final checkpoint. Commands stop
        // themselves; the forced exit only guards against a hang, within the 10 s a service manager allows.
        return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(9) });
    }
}
