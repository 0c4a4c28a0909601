using System.Buffers;
using System.Globalization;
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
            // SHA-256 of "rule|k=v|…|ticks", its first 12 bytes in hex
            var length = Encoding.UTF8.GetMaxByteCount(Rule.Length) + 21;
            foreach (var (k, v) in Group) length += Encoding.UTF8.GetMaxByteCount(k.Length + v.Length) + 2;
            var rented = length > 1024 ? ArrayPool<byte>.Shared.Rent(length) : null;
            Span<byte> key = rented ?? stackalloc byte[1024];
            var n = Encoding.UTF8.GetBytes(Rule, key);
            key[n++] = (byte)'|';
            foreach (var (k, v) in Group)
            {
                n += Encoding.UTF8.GetBytes(k, key[n..]);
                key[n++] = (byte)'=';
                n += Encoding.UTF8.GetBytes(v, key[n..]);
                key[n++] = (byte)'|';
            }
            FirstSeen.UtcTicks.TryFormat(key[n..], out var ticks, default, CultureInfo.InvariantCulture);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(key[..(n + ticks)], hash);
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            return Convert.ToHexStringLower(hash[..12]);
        }
    }

    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id"), RuleName = JsonEncodedText.Encode("rule"),
        TitleName = JsonEncodedText.Encode("title"), DescriptionName = JsonEncodedText.Encode("description"),
        GroupName = JsonEncodedText.Encode("group"), CountName = JsonEncodedText.Encode("count"),
        FirstSeenName = JsonEncodedText.Encode("first_seen"), LastSeenName = JsonEncodedText.Encode("last_seen"),
        EventsName = JsonEncodedText.Encode("events"), TimestampName = JsonEncodedText.Encode(Ecs.Timestamp),
        PathName = JsonEncodedText.Encode(Ecs.LogFilePath), OffsetName = JsonEncodedText.Encode(Ecs.LogOffset),
        SuppressedName = JsonEncodedText.Encode("suppressed");

    /// <summary>Writes the alert as one JSON object (the <c>--alerts-out</c> format).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        Span<byte> time = stackalloc byte[EventTime.MaxLength];
        w.WriteStartObject();
        w.WriteString(IdName, Id);
        w.WriteString(RuleName, Rule);
        w.WriteString(TitleName, Title);
        if (Description is not null) w.WriteString(DescriptionName, Description);
        w.WriteStartObject(GroupName);
        foreach (var (k, v) in Group) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteNumber(CountName, Count);
        EventTime.TryFormat(FirstSeen, time, out var n);
        w.WriteString(FirstSeenName, time[..n]);
        EventTime.TryFormat(LastSeen, time, out n);
        w.WriteString(LastSeenName, time[..n]);
        w.WriteStartArray(EventsName);
        // the events of one alert mostly share their file: its name is escaped once
        string? path = null;
        var encodedPath = default(JsonEncodedText);
        foreach (var e in Events)
        {
            w.WriteStartObject();
            EventTime.TryFormat(e.Timestamp, time, out n);
            w.WriteString(TimestampName, time[..n]);
            if (e.Path is not null)
            {
                if (!ReferenceEquals(e.Path, path)) (path, encodedPath) = (e.Path, JsonEncodedText.Encode(e.Path, w.Options.Encoder));
                w.WriteString(PathName, encodedPath);
            }
            if (e.Offset >= 0) w.WriteNumber(OffsetName, e.Offset);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (Suppressed > 0) w.WriteNumber(SuppressedName, Suppressed);
        w.WriteEndObject();
    }
}

/// <summary>Receives what rules produce.</summary>
public interface IAlertSink
{
    /// <summary>
    /// An alert and the event that raised it: null when no event did (an absence rule fires on the passing of
    /// time) and nothing in the rule's <c>then:</c> reads one.
    /// </summary>
    void Emit(Alert alert, Event? trigger);
}
