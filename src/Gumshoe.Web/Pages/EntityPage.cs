using System.Net;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;
using Gumshoe.Web.Activity;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/entities/{ip|user}/{value}</c>: one address or user — its decisions, alerts and recent events.</summary>
public static class EntityPage
{
    private static readonly DecisionState[] AllStates = [DecisionState.Active, DecisionState.Expired, DecisionState.Released];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/entities/{kind}/{value}", async (HttpContext ctx, RunView run, string kind, string value) =>
        {
            var ct = ctx.RequestAborted;
            if (kind is not ("ip" or "user"))
                return Layout.Page(ctx, "Unknown entity kind", "", h => h.Raw("<p>Entities are addresses (<code>/entities/ip/…</code>) or users (<code>/entities/user/…</code>).</p>"), 404);
            IPAddress? address = null;
            if (kind == "ip" && !IPAddress.TryParse(value, out address))
                return Layout.Page(ctx, "Not an address", "", h => h.Add($"<p><code>{value}</code> is not an IP address.</p>"), 404);
            var field = kind == "ip" ? Ecs.SourceIp : Ecs.UserName;
            var decisions = kind == "ip"
                ? (await run.Store.Decisions.ListAsync(new DecisionQuery { States = AllStates, Scope = DecisionScope.Ip, Value = address!.ToString(), Limit = 200 }, ct))
                    .Concat((await run.Store.Decisions.ActiveForAsync(address, null, ct))).DistinctBy(d => d.Id).ToList()
                : (await run.Store.Decisions.ListAsync(new DecisionQuery { States = AllStates, Scope = DecisionScope.User, Value = value.ToLowerInvariant(), Limit = 200 }, ct));
            var alerts = (await run.Store.Alerts.ListAsync(groupContains: value, limit: 200, ct: ct)).Select(AlertView.From)
                .Where(a => a.Group.Any(g => AlertView.EntityKind(g.Key) == kind && g.Value.Equals(value, StringComparison.OrdinalIgnoreCase))).ToList();
            var events = run.Activity.Recent(e => string.Equals(e.GetString(field), value, kind == "user" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal), 50);
            return Layout.Page(ctx, (kind == "ip" ? "Address " : "User ") + value, "", h =>
            {
                var active = decisions.Count(d => d.State == DecisionState.Active);
                h.Add($"<p>{(active > 0 ? Layout.Badge($"{active} active decision{(active == 1 ? "" : "s")}", "bad") : Layout.Badge("not blocked", "ok"))} {alerts.Count} alert{(alerts.Count == 1 ? "" : "s")} stored, {events.Count} recent event{(events.Count == 1 ? "" : "s")} in memory.</p>");
                h.Raw("<section aria-labelledby=\"dec-h\"><h2 id=\"dec-h\">Decisions</h2>");
                if (decisions.Count == 0) h.Raw("<p class=\"muted\">None.</p>");
                else DecisionsPage.Table(ctx, h, decisions, actions: true);
                h.Raw("</section><section aria-labelledby=\"al-h\"><h2 id=\"al-h\">Alerts</h2>");
                if (alerts.Count == 0) h.Raw("<p class=\"muted\">None.</p>");
                else
                {
                    h.Raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">First seen (UTC)</th><th scope=\"col\">Rule</th><th scope=\"col\">Alert</th><th scope=\"col\" class=\"num\">Events</th></tr></thead><tbody>");
                    foreach (var a in alerts) h.Add($"<tr><td>{Layout.Time(a.FirstSeen)}</td><td>{a.Rule}</td><td><a href=\"/alerts/{HtmlBuilder.Segment(a.Id)}\">{(a.Title.Length > 0 ? a.Title : a.Id)}</a></td><td class=\"num\">{a.Count}</td></tr>");
                    h.Raw("</tbody></table></div>");
                }
                h.Raw("</section>");
                if (kind == "user") LoginSection(h, run.Logins.For(value));
                else AddressSection(h, events);
                h.Raw("<section aria-labelledby=\"ev-h\"><h2 id=\"ev-h\">Recent events</h2>");
                if (events.Count == 0) h.Raw("<p class=\"muted\">No recent events of this entity in memory (the server keeps the last 10,000 events of this run).</p>");
                else
                {
                    h.Raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Action</th><th scope=\"col\">Outcome</th><th scope=\"col\">Line</th></tr></thead><tbody>");
                    foreach (var e in events) h.Add($"<tr><td>{Layout.Time(e.Timestamp)}</td><td>{e[Ecs.EventAction]}</td><td>{e[Ecs.EventOutcome]}</td><td><code class=\"small\">{e[Ecs.EventOriginal]}</code></td></tr>");
                    h.Raw("</tbody></table></div>");
                }
                h.Raw("</section>");
            });
        }).RequireAuthorization(WebRoles.Viewer);

    // where the user signs in from: places, networks, devices and the login analyzer's latest verdicts
    private static void LoginSection(HtmlBuilder h, UserLogins? logins)
    {
        h.Raw("<section aria-labelledby=\"lo-h\"><h2 id=\"lo-h\">Login locations</h2>");
        if (logins is null || logins.Places.Count == 0 && logins.Verdicts.Count == 0)
        {
            h.Raw("<p class=\"muted\">No successful logins of this user seen (login analytics learn them from sign-in events).</p></section>");
            return;
        }
        if (logins.LastLogin is { } last)
            h.Add($"<p>Last login {Layout.Time(last)} from {logins.LastAddress ?? "-"} ({logins.LastPlace ?? "unknown location"}).</p>");
        foreach (var (title, rows) in new[] { ("Place", logins.Places), ("Network", logins.Networks), ("Device", logins.Devices) })
        {
            if (rows.Count == 0) continue;
            h.Add($"<div class=\"scroll\"><table><thead><tr><th scope=\"col\">{title}</th><th scope=\"col\" class=\"num\">Logins</th><th scope=\"col\">First seen (UTC)</th><th scope=\"col\">Last seen (UTC)</th></tr></thead><tbody>");
            foreach (var r in rows) h.Add($"<tr><td>{r.Name}</td><td class=\"num\">{r.Logins}</td><td>{Layout.Time(r.First)}</td><td>{Layout.Time(r.Last)}</td></tr>");
            h.Raw("</tbody></table></div>");
        }
        if (logins.Verdicts.Count > 0)
        {
            h.Raw("<h3>Recent login verdicts</h3><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\" class=\"num\">Score</th><th scope=\"col\">Verdict</th><th scope=\"col\">Why</th></tr></thead><tbody>");
            foreach (var v in logins.Verdicts)
                h.Add($"<tr><td>{Layout.Time(v.Time)}</td><td class=\"num\">{v.Score.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}</td><td>{(v.Flagged ? Layout.Badge("unusual", "bad") : Layout.Badge("normal", "ok"))}</td><td>{string.Join("; ", v.Reasons)}</td></tr>");
            h.Raw("</tbody></table></div>");
        }
        h.Raw("</section>");
    }

    // where an address is, from the enrichment of its most recent event
    private static void AddressSection(HtmlBuilder h, List<EventSnapshot> events)
    {
        var located = events.FirstOrDefault(e => e["source.geo.country_iso_code"] is not null || e["source.as.number"] is not null);
        if (located is null) return;
        var place = string.Join(", ", new[] { located["source.geo.city_name"], located["source.geo.country_name"] ?? located["source.geo.country_iso_code"] }.Where(p => p is not null));
        var network = located["source.as.number"] is { } asn ? $"AS{asn} {located["source.as.organization.name"]}".TrimEnd() : null;
        h.Add($"<section aria-labelledby=\"geo-h\"><h2 id=\"geo-h\">Location</h2><p>{(place.Length > 0 ? place : "unknown place")}{(network is null ? "" : " — " + network)} (GeoIP, as of {Layout.Time(located.Timestamp)}).</p></section>");
    }
}
