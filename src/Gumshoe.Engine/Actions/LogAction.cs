using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Actions;

/// <summary><c>log</c>: writes a templated message to Gumshoe's log at a level (default warning).</summary>
public sealed class LogAction(Template message, LogLevel level) : IAction, IActionWithLogger
{
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public string Type => "log";

    public void UseLogger(ILoggerFactory loggers) => _logger = loggers.CreateLogger("gumshoe.actions.log");

    /// <summary>Reads <c>log: "message"</c> or <c>log: {message, level}</c>.</summary>
    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var text = node.IsMapping ? node.Required("message").AsString() : node.AsString();
        var level = node.IsMapping && node.Get("level") is { IsNull: false } l
            ? l.AsEnum("debug", "information", "info", "warning", "error", "critical") switch
            {
                "debug" => LogLevel.Debug, "information" or "info" => LogLevel.Information, "error" => LogLevel.Error,
                "critical" => LogLevel.Critical, _ => LogLevel.Warning,
            }
            : LogLevel.Warning;
        return new LogAction(new Template(text), level);
    }

    public Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
#pragma warning disable CA2254 // the message is the user's template, rendered
        _logger.Log(level, "{Rule}: {Message}", request.Rule, message.Render(request.Event, request.Values));
#pragma warning restore CA2254
        return Task.CompletedTask;
    }
}
