namespace Gumshoe.Engine.Events;

/// <summary>Elastic Common Schema field names used across the engine.</summary>
public static class Ecs
{
    public const string Timestamp = "@timestamp";
    public const string Message = "message";
    public const string EventOriginal = "event.original";
    public const string EventAction = "event.action";
    public const string EventOutcome = "event.outcome";
    public const string EventCategory = "event.category";
    public const string EventDataset = "event.dataset";
    public const string EventProvider = "event.provider";
    public const string EventId = "event.id";
    public const string EventKind = "event.kind";
    public const string EventReason = "event.reason";
    public const string EventType = "event.type";
    public const string SourceIp = "source.ip";
    public const string SourcePort = "source.port";
    public const string SourceAddress = "source.address";
    public const string SourceDomain = "source.domain";
    public const string DestinationIp = "destination.ip";
    public const string DestinationPort = "destination.port";
    public const string NetworkTransport = "network.transport";
    public const string ObserverIngressInterfaceName = "observer.ingress.interface.name";
    public const string UserName = "user.name";
    public const string UserEmail = "user.email";
    public const string HostName = "host.name";
    public const string HostHostname = "host.hostname";
    public const string ProcessName = "process.name";
    public const string ProcessPid = "process.pid";
    public const string LogFilePath = "log.file.path";
    public const string LogOffset = "log.offset";
    public const string InputType = "input.type";
    public const string InputName = "gumshoe.input";
    public const string ParserName = "gumshoe.parser";

    /// <summary>Every name above: the instances <see cref="FieldNames"/> hands out for them.</summary>
    internal static readonly string[] Names =
    [
        Timestamp, Message, EventOriginal, EventAction, EventOutcome, EventCategory, EventDataset, EventProvider, EventId,
        EventKind, EventReason, EventType, SourceIp, SourcePort, SourceAddress, SourceDomain, DestinationIp, DestinationPort,
        NetworkTransport, ObserverIngressInterfaceName, UserName, UserEmail, HostName,
        HostHostname, ProcessName, ProcessPid, LogFilePath, LogOffset, InputType, InputName, ParserName,
    ];
}
