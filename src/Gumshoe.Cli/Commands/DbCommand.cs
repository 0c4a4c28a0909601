using System.CommandLine;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe db export</c>: every table's rows as JSON lines; also the store-opening the store commands share.</summary>
public static class DbCommand
{
    public static Command Create()
    {
        var dataDir = DataDirOption();
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file (mode 0600) instead of stdout" };
        var export = new Command("export", "Write every table's rows as JSON lines: {\"table\": ..., \"row\": {...}}") { dataDir, output };
        export.SetAction(async (r, ct) =>
        {
            await using var provider = OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await OpenAsync(provider);
            if (store is null) return 1;
            var path = r.GetValue(output);
            await using var stream = path is null ? Console.OpenStandardOutput() : CreatePrivate(path);
            var rows = await DatabaseExport.WriteAsync(store.Database, stream, ct);
            Console.Error.WriteLine($"exported {rows} rows from the {store.Database.Kind} store");
            return 0;
        });
        return new Command("db", "The store: export") { export };
    }

    /// <summary><c>--data-dir</c>: where the SQLite database (<c>gumshoe.db</c>) and other embedded state live.</summary>
    internal static Option<string?> DataDirOption() =>
        new("--data-dir") { Description = "Where the embedded state lives (SQLite database gumshoe.db; default ~/.local/state/gumshoe)" };

    /// <summary>
    /// The store provider of the config (<c>-c</c>, or a default location when one exists; without any config the
    /// embedded SQLite default), pointed at the data directory. Null after printing a config error.
    /// </summary>
    internal static StoreProvider? OpenProvider(ParseResult r, Option<string?> dataDir, out int exitCode)
    {
        exitCode = 0;
        StoreProvider provider;
        try
        {
            var hasConfig = r.GetValue(GlobalOptions.Config) is not null || GumshoeConfig.DefaultLocations().Any(File.Exists);
            provider = hasConfig ? GlobalOptions.LoadConfig(r).Components.Storage : new StoreProvider();
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            exitCode = 2;
            return null;
        }
        provider.DataDirectory = Path.GetFullPath(r.GetValue(dataDir) ?? RunCommand.DefaultDataDirectory());
        return provider;
    }

    /// <summary>Opens (and migrates) the store; null after printing why it cannot be opened.</summary>
    internal static async Task<GumshoeStore?> OpenAsync(StoreProvider provider)
    {
        try { return await provider.GetAsync(); }
        catch (StorageException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return null;
        }
    }

    /// <summary>Who did it, for the audit log: <c>--by</c>, else the operating-system user.</summary>
    internal static string Actor(string? by) => string.IsNullOrWhiteSpace(by) ? $"cli:{Environment.UserName}" : by.Trim();

    /// <summary>A new file readable only by its owner (exports hold password hashes).</summary>
    internal static FileStream CreatePrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}
