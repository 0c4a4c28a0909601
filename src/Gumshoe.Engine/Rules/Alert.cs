using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>A reference to an event that contributed to an alert.</summary>
public readonly record struct EventRef(DateTimeOffset Timestamp, string? Path, long Offset);

/// <summary>What a rule found: which rule, for which group, how many events between which event times.</summary>
public sealed class Alert
{
    public required string Rule { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Group { get; init; }
    public required int Count { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public string Title { get; set; } = "";
    public string? Description { get; set; }
    public IReadOnlyList<EventRef> Events { get; init; } = [];
    /// <summary>Alerts of the same rule and group suppressed (<c>suppress:</c>) since the previous one raised.</summary>
    public int Suppressed { get; init; }

    /// <summary>Stable id: the same rule, group and first event time give the same id in replay and live.</summary>
    public string Id
    {
        get
        {
            var key = new StringBuilder(Rule).Append('|');
            foreach (var (k, v) in Group) key.Append(k).Append('=').Append(v).Append('|');
            key.Append(FirstSeen.UtcTicks);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())).AsSpan(0, 12));
        }
    }

    /// <summary>Writes the alert as one JSON object (the <c>--alerts-out</c> format).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("rule", Rule);
        w.WriteString("title", Title);
        if (Description is not null) w.WriteString("description", Description);
        w.WriteStartObject("group");
        foreach (var (k, v) in Group) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteNumber("count", Count);
        w.WriteString("first_seen", EventTime.Format(FirstSeen));
        w.WriteString("last_seen", EventTime.Format(LastSeen));
        w.WriteStartArray("events");
        foreach (var e in Events)
        {
            w.WriteStartObject();
            w.WriteString("@timestamp", EventTime.Format(e.Timestamp));
            if (e.Path is not null) w.WriteString("log.file.path", e.Path);
            if (e.Offset >= 0) w.WriteNumber("log.offset", e.Offset);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (Suppressed > 0) w.WriteNumber("suppressed", Suppressed);
        w.WriteEndObject();
    }
}

/// <summary>Receives what rules produce.</summary>
public interface IAlertSink
{
    void Emit(Alert alert, Event trigger);
}
