using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Decisions;

/// <summary>Where a decision is in its life: in force, run out on its own, or ended by someone.</summary>
public enum DecisionState { Active, Expired, Released }

/// <summary>
/// A penalty on one entity: the scope and value it applies to, why, which rule and alert are behind it, when it
/// began and ends (<see cref="Expires"/> null = permanent), its escalation level and the texts shown to the entity.
/// </summary>
public sealed record Decision
{
    public required string Id { get; init; }
    public required string Scope { get; init; }
    public required string Value { get; init; }
    public required string Reason { get; init; }
    public required string Rule { get; init; }
    public string? AlertId { get; init; }
    public int Priority { get; init; }
    /// <summary>0 for a first penalty, one more for each escalation.</summary>
    public int Level { get; init; }
    /// <summary>Plain-language explanation of why the entity is penalised.</summary>
    public string? Explain { get; init; }
    /// <summary>What the entity can do to get out.</summary>
    public string? Remediation { get; init; }
    /// <summary>How often the entity may release itself (per rule); 0 = only the helpdesk can.</summary>
    public int SelfReleaseMax { get; init; }
    /// <summary>After a release, how long the same rule leaves the same entity alone.</summary>
    public TimeSpan Grace { get; init; }
    public required DecisionState State { get; init; }
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public string? EndedBy { get; init; }
    public string? EndReason { get; init; }

    public bool IsPermanent => Expires is null;

    public static string StateName(DecisionState s) => s switch
    {
        DecisionState.Active => "active",
        DecisionState.Expired => "expired",
        _ => "released",
    };

    public static DecisionState ParseState(string s) => s switch
    {
        "active" => DecisionState.Active,
        "expired" => DecisionState.Expired,
        "released" => DecisionState.Released,
        _ => throw new FormatException($"unknown decision state '{s}'"),
    };

    /// <summary>
    /// Writes the decision as one JSON object: <c>id</c>, <c>scope</c>, <c>value</c>, <c>reason</c>, <c>rule</c>,
    /// <c>created</c>, <c>expires</c> (null when permanent) and <c>state</c> are a contract
    /// (<c>gumshoe decisions list --json</c>); the rest is informative.
    /// </summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("scope", Scope);
        w.WriteString("value", Value);
        w.WriteString("reason", Reason);
        w.WriteString("rule", Rule);
        w.WriteString("created", EventTime.Format(Created));
        if (Expires is { } e) w.WriteString("expires", EventTime.Format(e)); else w.WriteNull("expires");
        w.WriteString("state", StateName(State));
        if (AlertId is not null) w.WriteString("alert_id", AlertId);
        w.WriteNumber("priority", Priority);
        w.WriteNumber("level", Level);
        if (Explain is not null) w.WriteString("explain", Explain);
        if (Remediation is not null) w.WriteString("remediation", Remediation);
        if (Ended is { } end) w.WriteString("ended", EventTime.Format(end));
        if (EndedBy is not null) w.WriteString("ended_by", EndedBy);
        if (EndReason is not null) w.WriteString("end_reason", EndReason);
        w.WriteEndObject();
    }

    /// <summary>The decision as one compact JSON line.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
