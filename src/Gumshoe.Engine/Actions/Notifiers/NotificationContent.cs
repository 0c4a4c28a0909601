using System.Globalization;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Actions.Notifiers;

/// <summary>What every notification says: who, what happened, from where, when, and a link to the entity in the web UI.</summary>
public sealed record NotificationContent(string Title, string Who, string What, string Where, string When, string? UserLink, string? IpLink)
{
    /// <summary>Collects the content from the alert and the event behind it.</summary>
    public static NotificationContent From(ActionRequest request, string? webUrl)
    {
        var e = request.Event;
        var user = e.GetString(Ecs.UserEmail) ?? e.GetString(Ecs.UserName);
        var ip = e.GetString(Ecs.SourceIp);
        var title = request.Alert is { Title.Length: > 0 } a ? a.Title : request.Rule;
        var what = string.Join(" ", new[]
        {
            e.GetString(Ecs.EventProvider), e.GetString(Ecs.EventAction), e.GetString(Ecs.EventOutcome),
        }.Where(s => !string.IsNullOrEmpty(s)));
        if (request.Alert is { } alert && alert.Count > 1) what += string.Create(CultureInfo.InvariantCulture, $" ({alert.Count} events)");
        if (what.Length == 0) what = request.Rule;
        var place = string.Join(", ", new[] { e.GetString("source.geo.city_name"), e.GetString("source.geo.country_iso_code") }.Where(s => !string.IsNullOrEmpty(s)));
        var asn = e.GetString("source.as.organization.name");
        var where = ip is null ? "unknown" : ip + (place.Length > 0 ? $" ({place})" : "") + (asn is null ? "" : $" {asn}");
        string? Link(string kind, string? id) =>
            webUrl is null || id is null ? null : $"{webUrl.TrimEnd('/')}/entities/{kind}/{Uri.EscapeDataString(id)}";
        return new NotificationContent(title, user ?? "unknown", what, where, EventTime.Format(e.Timestamp), Link("user", user), Link("ip", ip));
    }

    /// <summary>One line for plain-text channels and notification previews.</summary>
    public string Summary => $"{Title}: {Who} — {What} from {Where} at {When}";
}
