using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>The <c>analytics:</c> section: one entry per analyzer type (today <c>logins</c>).</summary>
public sealed class AnalyticsSection
{
    /// <summary>Settings of the login analyzer, when configured.</summary>
    public LoginAnalyzerOptions? Logins { get; init; }

    /// <summary>Reads and validates the section (registered with <c>AddSection("analytics", …)</c>).</summary>
    public static object Read(ConfigNode node, ComponentContext context)
    {
        if (!node.IsMapping) throw node.Error("analytics: expected a mapping of analyzers (logins: …)");
        LoginAnalyzerOptions? logins = null;
        if (node.Get("logins") is { } l)
        {
            logins = LoginAnalyzerOptions.Read(l, context);
            l.EnsureNoUnknownKeys("analyzer 'logins'");
        }
        return new AnalyticsSection { Logins = logins };
    }

    /// <summary>Builds the configured analyzers, restoring their state files unless <paramref name="fromStateFile"/> is false (an analyser partition restores its own snapshot).</summary>
    public IReadOnlyList<IAnalyzer> CreateAnalyzers(bool fromStateFile = true) =>
        Logins is null ? [] : [fromStateFile ? LoginAnalyzer.Create(Logins) : new LoginAnalyzer(Logins)];
}
