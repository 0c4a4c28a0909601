using System.CommandLine;
using System.Text;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe alerts export</c>: every stored alert as JSON lines in the <c>--alerts-out</c> format (only JSON on stdout).</summary>
public static class AlertsCommand
{
    public static Command Create()
    {
        var dataDir = DbCommand.DataDirOption();
        var export = new Command("export", "Write every stored alert as a JSON line (the replay --alerts-out format), oldest first") { dataDir };
        export.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            await using var stdout = Console.OpenStandardOutput();
            long count = 0;
            await foreach (var json in store.Alerts.ExportAsync(ct))
            {
                await stdout.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), ct);
                count++;
            }
            Console.Error.WriteLine($"exported {count} alerts from the {store.Database.Kind} store");
            return 0;
        });
        return new Command("alerts", "Stored alerts") { export };
    }
}
