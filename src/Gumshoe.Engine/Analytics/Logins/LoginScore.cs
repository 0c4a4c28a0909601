using System.Text.Json;

namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>The verdict on one successful login: the combined score, the decision, each detector's score and the reasons.</summary>
public sealed class LoginScore
{
    public string? EventId { get; init; }
    public required string User { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    /// <summary>Combined anomaly score in 0..1, higher is more anomalous.</summary>
    public double Score { get; init; }
    /// <summary>Whether the login raised a finding.</summary>
    public bool Flagged { get; init; }
    /// <summary>Plain-language explanations, strongest first.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];
    /// <summary>Per-detector scores in 0..1 (0 when the detector did not fire or is off).</summary>
    public double ImpossibleTravel { get; init; }
    public double NewCountry { get; init; }
    public double NewAsn { get; init; }
    public double NewDevice { get; init; }
    public double Forest { get; init; }
    /// <summary>The combined score's inputs (<see cref="LoginAnalyzer.EvidenceNames"/>) when <see cref="LoginAnalyzerOptions.RecordEvidence"/> is set; not written out.</summary>
    public double[]? Evidence { get; init; }

    /// <summary>The <c>--scores-out</c> line: <c>event.id</c>, <c>user</c>, <c>score</c>, <c>flagged</c>, <c>reasons</c>, <c>detectors</c>.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (EventId is null) w.WriteNull("event.id"); else w.WriteString("event.id", EventId);
        w.WriteString("@timestamp", Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("user", User);
        w.WriteNumber("score", Math.Round(Score, 6));
        w.WriteBoolean("flagged", Flagged);
        w.WriteStartArray("reasons");
        foreach (var r in Reasons) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteStartObject("detectors");
        w.WriteNumber("impossible_travel", Math.Round(ImpossibleTravel, 6));
        w.WriteNumber("new_country", Math.Round(NewCountry, 6));
        w.WriteNumber("new_asn", Math.Round(NewAsn, 6));
        w.WriteNumber("new_device", Math.Round(NewDevice, 6));
        w.WriteNumber("isolation_forest", Math.Round(Forest, 6));
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
