using Gumshoe.Engine.Storage;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/audit</c>: the append-only audit log, newest first, by decision or actor.</summary>
public static class AuditPage
{
    private const int PageSize = 200;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/audit", async (HttpContext ctx, GumshoeStore store, string? decision, string? actor, long? before) =>
        {
            decision = string.IsNullOrWhiteSpace(decision) ? null : decision.Trim();
            actor = string.IsNullOrWhiteSpace(actor) ? null : actor.Trim();
            var entries = await store.Audit.ListAsync(decision, actor, PageSize + 1, before, ctx.RequestAborted);
            return Layout.Page(ctx, "Audit log", "audit", h =>
            {
                h.Add($"""
                    <form method="get" action="/audit" class="filters" role="search"><label for="decision">Decision</label><input id="decision" name="decision" value="{decision}">
                    <label for="actor">Who</label><input id="actor" name="actor" value="{actor}" placeholder="web:alice, rule:ssh-bruteforce"><button type="submit">Filter</button></form>
                    """);
                if (entries.Count == 0) { h.Raw("<p class=\"muted\">No entries.</p>"); return; }
                h.Raw("<div class=\"scroll\"><table class=\"audit\"><thead><tr><th scope=\"col\">When (UTC)</th><th scope=\"col\">Who</th><th scope=\"col\">Did</th><th scope=\"col\">Decision</th><th scope=\"col\">Why</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
                foreach (var e in entries.Take(PageSize))
                {
                    var link = e.DecisionId is null ? new RawHtml("") : new RawHtml($"<a href=\"/decisions?state=all&amp;q={HtmlBuilder.Encode(Uri.EscapeDataString(e.DecisionId))}\"><code>{HtmlBuilder.Encode(e.DecisionId)}</code></a>");
                    h.Add($"<tr><td>{Layout.Time(e.At)}</td><td>{e.Actor}</td><td>{e.Action}</td><td>{link}</td><td>{e.Reason}</td><td class=\"small\">{e.Detail}</td></tr>");
                }
                h.Raw("</tbody></table></div>");
                if (entries.Count > PageSize)
                {
                    var qs = (decision is null ? "" : "&decision=" + Uri.EscapeDataString(decision)) + (actor is null ? "" : "&actor=" + Uri.EscapeDataString(actor));
                    h.Add($"<nav class=\"pager\" aria-label=\"Pages\"><a href=\"/audit?before={entries[PageSize - 1].Id}{qs}\">Older →</a></nav>");
                }
            });
        }).RequireAuthorization(WebRoles.Viewer);
}
