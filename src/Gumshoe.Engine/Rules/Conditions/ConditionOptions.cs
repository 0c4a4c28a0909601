namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>Optional hooks for compiled conditions.</summary>
public sealed class ConditionOptions
{
    /// <summary>
    /// Called (with the pattern) each time a user regex gives up after its match timeout; the match then counts as
    /// no match. Only backtracking regexes (patterns using lookarounds or backreferences) can time out.
    /// </summary>
    public Action<string>? RegexTimedOut { get; init; }

    /// <summary>Where the field tests of a rule set's conditions keep their results for the event being matched.</summary>
    public ConditionMemo? Memo { get; init; }
}
