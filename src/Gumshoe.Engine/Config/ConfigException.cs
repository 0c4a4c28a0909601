namespace Gumshoe.Engine.Config;

/// <summary>A configuration error that names the file, line and column it was found at.</summary>
public sealed class ConfigException(string file, long line, long column, string problem)
    : Exception($"{file}:{line}:{column}: {problem}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public long Column { get; } = column;
    public string Problem { get; } = problem;
}
