namespace Gumshoe.Engine.Tests.Cli;

/// <summary>The repository the tests were built from (where <c>./gumshoe</c> and the solution are).</summary>
internal static class Repository
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "gumshoe")) && File.Exists(Path.Combine(dir.FullName, "Gumshoe.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found");
    }
}
