namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>A condition expression that does not parse or compile, with the 1-based column of the problem.</summary>
public sealed class ConditionSyntaxException(string problem, int column)
    : Exception($"column {column}: {problem}")
{
    /// <summary>1-based column within the expression text.</summary>
    public int Column { get; } = column;

    /// <summary>The problem, without the column.</summary>
    public string Problem { get; } = problem;
}
