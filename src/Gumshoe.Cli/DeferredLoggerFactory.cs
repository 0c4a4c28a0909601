using Microsoft.Extensions.Logging;

namespace Gumshoe.Cli;

/// <summary>
/// A logger factory that builds the real one (console, log file) on the first message at or above the minimum level:
/// in the native build, building Microsoft.Extensions.Logging's console logger (its options and services) takes about
/// 15 ms, half of a command's start, and most runs of a command log nothing.
/// </summary>
public sealed class DeferredLoggerFactory(Func<ILoggerFactory> create, LogLevel minimum) : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> _real = new(create);
    private readonly LogLevel _minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _real.Value.AddProvider(provider);

    public void Dispose()
    {
        if (_real.IsValueCreated) _real.Value.Dispose();
    }

    private sealed class DeferredLogger(DeferredLoggerFactory owner, string category) : ILogger
    {
        private ILogger? _logger;

        private ILogger Real => _logger ??= owner._real.Value.CreateLogger(category);

        // scopes are not shown by the console and file formats: nothing to keep
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None && Real.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < owner._minimum || logLevel == LogLevel.None) return;
            Real.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
