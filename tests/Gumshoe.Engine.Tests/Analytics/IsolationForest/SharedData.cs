namespace Gumshoe.Engine.Tests.Analytics;

/// <summary>Finds the shared reference data (<c>shared/data</c> beside the repository, else $GUMSHOE_SHARED, else /work/shared).</summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(Locate);

    /// <summary>The absolute path of a file under <c>shared/data</c>, e.g. <c>Path("iforest/breastw.csv")</c>.</summary>
    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        var fromEnvironment = Environment.GetEnvironmentVariable("GUMSHOE_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(System.IO.Path.Combine(fromEnvironment, "data")))
            return System.IO.Path.Combine(fromEnvironment, "data");
        return "/work/shared/data";
    }
}
