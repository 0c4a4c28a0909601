namespace Gumshoe.Engine.Tests.Parsers;

/// <summary>Finds the shared reference data (<c>shared/data</c>) beside the repository, or via GUMSHOE_SHARED.</summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(Locate);

    /// <summary>The <c>shared/data</c> folder.</summary>
    public static string DataDirectory => Root.Value;

    /// <summary>A file under <c>shared/data</c>, e.g. <c>logs/OpenSSH_2k.log</c>.</summary>
    public static string File(string relative) => Path.Combine(DataDirectory, relative);

    private static string Locate()
    {
        // CI: the repository has a sibling shared/ folder; walk up from the test binaries to find it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        var env = Environment.GetEnvironmentVariable("GUMSHOE_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            var data = Path.Combine(env, "data");
            if (Directory.Exists(data)) return data;
            if (Directory.Exists(env)) return env;
        }
        if (Directory.Exists("/work/shared/data")) return "/work/shared/data";
        throw new DirectoryNotFoundException("shared/data not found beside the repository; set GUMSHOE_SHARED");
    }
}
