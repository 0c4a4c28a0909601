using Gumshoe.Cli;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Tests.Cli;

/// <summary>The CLI's logger factory builds the real one only when a message at or above its level is logged.</summary>
public class DeferredLoggerFactoryTests
{
    private sealed class ListProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines, categoryName);
        public void Dispose() { }

        private sealed class ListLogger(List<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }

    [Fact]
    public void NothingIsBuiltUntilAMessageAtTheLevelComes()
    {
        var lines = new List<string>();
        var built = 0;
        using var factory = new DeferredLoggerFactory(() =>
        {
            built++;
            return LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddProvider(new ListProvider(lines)));
        }, LogLevel.Warning);
        var a = factory.CreateLogger("a");
        var b = factory.CreateLogger("b");
        a.LogDebug("not shown");
        a.LogInformation("not shown either");
        Assert.False(a.IsEnabled(LogLevel.Information));
        using (a.BeginScope("scope")) a.LogTrace("no");
        Assert.Equal(0, built);

        b.LogWarning("input {Input}: bad line", "auth");
        a.LogError("failed");
        Assert.True(a.IsEnabled(LogLevel.Warning));
        Assert.Equal(1, built);
        Assert.Equal(["Warning b: input auth: bad line", "Error a: failed"], lines);
    }
}
