using System.Globalization;
using System.Text.Json;
using Gumshoe.Engine.Decisions;
using Gumshoe.Web.Activity;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/</c>: events per second, alerts over time (a chart), top rules and offenders, input health.</summary>
public static class DashboardPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/", async (HttpContext ctx, RunView run) =>
        {
            var ct = ctx.RequestAborted;
            var alerts = (await run.Store.Alerts.ListAsync(limit: 2000, ct: ct)).Select(AlertView.From).ToList();
            var alertTotal = await run.Store.Alerts.CountAsync(ct);
            var active = await run.Store.Decisions.ListAsync(new DecisionQuery { Limit = 100_000 }, ct);
            var series = Series(alerts);
            var topRules = alerts.GroupBy(a => a.Rule).Select(g => (Rule: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Rule, StringComparer.Ordinal).Take(5).ToList();
            var offenders = alerts.SelectMany(a => a.Group.Where(g => AlertView.EntityKind(g.Key) is not null).Select(g => (Kind: AlertView.EntityKind(g.Key)!, g.Value)))
                .GroupBy(x => x).Select(g => (g.Key.Kind, g.Key.Value, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Value, StringComparer.Ordinal).Take(10).ToList();
            return Layout.Page(ctx, "Dashboard", "dashboard", h =>
            {
                var healthy = run.CheckpointHealthy;
                h.Add($"""
                    <section class="stats" aria-label="At a glance">
                    <div class="stat"><span class="value">{run.Activity.EventsPerSecond.ToString("0.##", CultureInfo.InvariantCulture)}</span><span class="label">events/s (last minute)</span></div>
                    <div class="stat"><span class="value">{run.Activity.Total}</span><span class="label">events this run</span></div>
                    <div class="stat"><span class="value"><a href="/alerts">{alertTotal}</a></span><span class="label">alerts stored</span></div>
                    <div class="stat"><span class="value"><a href="/decisions">{active.Count}</a></span><span class="label">active decisions</span></div>
                    <div class="stat"><span class="value">{(healthy is null ? Layout.Badge("n/a", "muted") : healthy.Value ? Layout.Badge("healthy", "ok") : Layout.Badge("failing", "bad"))}</span><span class="label">checkpoints</span></div>
                    </section>
                    """);
                h.Raw("<section aria-labelledby=\"chart-h\"><h2 id=\"chart-h\">Alerts over time</h2>");
                if (series.Labels.Count == 0) h.Raw("<p class=\"muted\">No alerts yet.</p>");
                else
                {
                    h.Add($"<div class=\"chart\"><canvas id=\"alerts-chart\" role=\"img\" aria-label=\"Alerts per {series.Unit}: {series.Counts.Sum()} alerts from {series.Labels[0]} to {series.Labels[^1]}\"></canvas></div>");
                    h.Add($"<script type=\"application/json\" id=\"alerts-series\">{new RawHtml(JsonSerializer.Serialize(new { labels = series.Labels, counts = series.Counts, unit = series.Unit }))}</script>");
                    h.Raw("<details><summary>Show as a table</summary><table><thead><tr><th scope=\"col\">").Add($"{series.Unit} (UTC)").Raw("</th><th scope=\"col\" class=\"num\">Alerts</th></tr></thead><tbody>");
                    for (var i = 0; i < series.Labels.Count; i++) h.Add($"<tr><td>{series.Labels[i]}</td><td class=\"num\">{series.Counts[i]}</td></tr>");
                    h.Raw("</tbody></table></details>");
                }
                h.Raw("</section><div class=\"columns\"><section aria-labelledby=\"rules-h\"><h2 id=\"rules-h\">Top rules</h2>");
                if (topRules.Count == 0) h.Raw("<p class=\"muted\">No rule has fired yet.</p>");
                else
                {
                    h.Raw("<table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\" class=\"num\">Alerts</th></tr></thead><tbody>");
                    foreach (var (rule, count) in topRules) h.Add($"<tr><td><a href=\"/alerts?rule={Uri.EscapeDataString(rule)}\">{rule}</a></td><td class=\"num\">{count}</td></tr>");
                    h.Raw("</tbody></table>");
                }
                h.Raw("</section><section aria-labelledby=\"off-h\"><h2 id=\"off-h\">Top offenders</h2>");
                if (offenders.Count == 0) h.Raw("<p class=\"muted\">No offenders yet.</p>");
                else
                {
                    h.Raw("<table><thead><tr><th scope=\"col\">Entity</th><th scope=\"col\">Kind</th><th scope=\"col\" class=\"num\">Alerts</th><th scope=\"col\">Blocked</th></tr></thead><tbody>");
                    foreach (var (kind, value, count) in offenders)
                    {
                        var blocked = active.Any(d => d.Value.Equals(value, StringComparison.OrdinalIgnoreCase)
                            || (kind == "ip" && System.Net.IPAddress.TryParse(value, out var ip) && DecisionScope.Covers(d.Scope, d.Value, ip)));
                        h.Add($"<tr><td>{Layout.Entity(kind, value)}</td><td>{kind}</td><td class=\"num\">{count}</td><td>{(blocked ? Layout.Badge("active", "bad") : new RawHtml(""))}</td></tr>");
                    }
                    h.Raw("</tbody></table>");
                }
                h.Raw("</section></div><section aria-labelledby=\"in-h\"><h2 id=\"in-h\">Input health</h2>");
                var inputs = run.Inputs();
                if (inputs.Count == 0) h.Raw("<p class=\"muted\">No input has delivered a line yet.</p>");
                else
                {
                    h.Raw("<table><thead><tr><th scope=\"col\">Input</th><th scope=\"col\" class=\"num\">Parsed</th><th scope=\"col\" class=\"num\">Not recognised</th><th scope=\"col\" class=\"num\">Dropped</th><th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\">State</th></tr></thead><tbody>");
                    foreach (var i in inputs)
                        h.Add($"<tr><td>{i.Input}</td><td class=\"num\">{i.Matched}</td><td class=\"num\">{i.Unmatched}</td><td class=\"num\">{i.Dropped}</td><td class=\"num\">{i.Failed}</td><td>{(i.Failed > 0 ? Layout.Badge("parse failures", "warn") : Layout.Badge("ok", "ok"))}</td></tr>");
                    h.Raw("</tbody></table>");
                }
                h.Raw("</section>");
            });
        }).RequireAuthorization(WebRoles.Viewer);

    /// <summary>Alerts per hour (per day when they span more than two days), ending at the newest, at most 48 bars.</summary>
    internal static (List<string> Labels, List<int> Counts, string Unit) Series(IReadOnlyList<AlertView> alerts)
    {
        if (alerts.Count == 0) return ([], [], "hour");
        var newest = alerts.Max(a => a.FirstSeen).ToUniversalTime();
        var oldest = alerts.Min(a => a.FirstSeen).ToUniversalTime();
        var daily = newest - oldest > TimeSpan.FromDays(2);
        var step = daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        DateTimeOffset Floor(DateTimeOffset t) => daily ? new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero) : new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero);
        var end = Floor(newest);
        var start = Floor(oldest);
        if ((end - start).Ticks / step.Ticks >= 48) start = end - step * 47;
        var labels = new List<string>();
        var counts = new List<int>();
        for (var t = start; t <= end; t += step)
        {
            labels.Add(t.ToString(daily ? "yyyy-MM-dd" : "MM-dd HH:00", CultureInfo.InvariantCulture));
            counts.Add(alerts.Count(a => Floor(a.FirstSeen.ToUniversalTime()) == t));
        }
        return (labels, counts, daily ? "day" : "hour");
    }
}
