using Gumshoe.Web.Activity;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/rules</c>: the configured rules, enabled, with their hits this run, stored alerts and when each last fired.</summary>
public static class RulesPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/rules", async (HttpContext ctx, RunView run) =>
        {
            var rows = new List<(RuleInfo Rule, long Hits, DateTimeOffset? Last)>();
            foreach (var r in run.Rules)
            {
                var last = (await run.Store.Alerts.ListAsync(r.Name, limit: 1, ct: ctx.RequestAborted)).FirstOrDefault();
                rows.Add((r, run.RuleHits(r.Name), last?.FirstSeen));
            }
            return Layout.Page(ctx, "Rules", "rules", h =>
            {
                if (rows.Count == 0) { h.Raw("<p class=\"muted\">This server runs no rules.</p>"); return; }
                h.Raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">State</th><th scope=\"col\">Condition</th><th scope=\"col\" class=\"num\">Hits this run</th><th scope=\"col\">Last fired (UTC)</th></tr></thead><tbody>");
                foreach (var (r, hits, last) in rows)
                {
                    h.Add($"<tr id=\"rule-{HtmlBuilder.Segment(r.Name)}\"><td><a href=\"/alerts?rule={Uri.EscapeDataString(r.Name)}\"><strong>{r.Name}</strong></a><br><span class=\"small\">{r.Description}</span></td><td>{Layout.Badge("enabled", "ok")}</td>");
                    h.Add($"<td><span class=\"small\">{r.Type}{(r.Count is { } n ? $": {n} within {r.Within}" : "")}{(r.GroupBy is null ? "" : $", by {r.GroupBy}")}</span><br><code class=\"small\">{r.When}</code></td><td class=\"num\">{hits}</td><td>{Layout.Time(last)}</td></tr>");
                }
                h.Raw("</tbody></table></div>");
            });
        }).RequireAuthorization(WebRoles.Viewer);
}
