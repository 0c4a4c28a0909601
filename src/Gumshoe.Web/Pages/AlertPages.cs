using Gumshoe.Engine.Decisions;
using Gumshoe.Web.Activity;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/alerts</c> (filter by rule or entity) and <c>/alerts/{id}</c> (fields, contributing events, rule, decisions).</summary>
public static class AlertPages
{
    private const int PageSize = 100;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/alerts", async (HttpContext ctx, RunView run, string? rule, string? q, int? page) =>
        {
            var p = Math.Max(1, page ?? 1);
            rule = string.IsNullOrWhiteSpace(rule) ? null : rule.Trim();
            q = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
            var alerts = (await run.Store.Alerts.ListAsync(rule, q, PageSize + 1, (p - 1) * PageSize, ctx.RequestAborted)).Select(AlertView.From).ToList();
            return Layout.Page(ctx, "Alerts", "alerts", h =>
            {
                h.Add($"""
                    <form method="get" action="/alerts" class="filters" role="search">
                    <label for="rule">Rule</label><select id="rule" name="rule"><option value="">All rules</option>
                    """);
                foreach (var r in run.Rules.Select(r => r.Name).Append(rule).OfType<string>().Distinct())
                    h.Add($"<option value=\"{r}\"{Layout.Raw(r == rule ? " selected" : "")}>{r}</option>");
                h.Add($"""
                    </select><label for="q">Entity</label><input id="q" name="q" value="{q}" placeholder="address or user">
                    <button type="submit">Filter</button></form>
                    """);
                if (alerts.Count == 0) { h.Raw("<p class=\"muted\">No alerts match.</p>"); return; }
                h.Raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">First seen (UTC)</th><th scope=\"col\">Rule</th><th scope=\"col\">Alert</th><th scope=\"col\">Group</th><th scope=\"col\" class=\"num\">Events</th></tr></thead><tbody>");
                foreach (var a in alerts.Take(PageSize))
                    h.Add($"<tr><td>{Layout.Time(a.FirstSeen)}</td><td>{a.Rule}</td><td><a href=\"/alerts/{HtmlBuilder.Segment(a.Id)}\">{(a.Title.Length > 0 ? a.Title : a.Id)}</a></td><td>{Group(a)}</td><td class=\"num\">{a.Count}</td></tr>");
                h.Raw("</tbody></table></div>");
                Pager(h, "/alerts", p, alerts.Count > PageSize, ("rule", rule), ("q", q));
            });
        }).RequireAuthorization(WebRoles.Viewer);

        app.MapGet("/alerts/{id}", async (HttpContext ctx, RunView run, string id) =>
        {
            var stored = await run.Store.Alerts.GetAsync(id, ctx.RequestAborted);
            if (stored is null) return Layout.Page(ctx, "Alert not found", "alerts", h => h.Add($"<p>There is no alert <code>{id}</code>.</p>"), 404);
            var a = AlertView.From(stored);
            var events = await run.Store.Alerts.EventsAsync(id, ctx.RequestAborted);
            // the decisions on the alert's entities: a repeat alert extends the decision the first one created
            var decisions = new List<Decision>();
            foreach (var (field, value) in a.Group.Where(g => AlertView.EntityKind(g.Key) is not null))
                decisions.AddRange(await run.Store.Decisions.ListAsync(new DecisionQuery
                {
                    States = [DecisionState.Active, DecisionState.Expired, DecisionState.Released],
                    Scope = AlertView.EntityKind(field) == "ip" ? DecisionScope.Ip : DecisionScope.User,
                    Value = AlertView.EntityKind(field) == "ip" ? value : value.ToLowerInvariant(), Limit = 50,
                }, ctx.RequestAborted));
            decisions = [.. decisions.DistinctBy(d => d.Id).OrderByDescending(d => d.AlertId == id).ThenByDescending(d => d.Created)];
            var rule = run.Rules.FirstOrDefault(r => r.Name == a.Rule);
            return Layout.Page(ctx, a.Title.Length > 0 ? a.Title : "Alert " + a.Id, "alerts", h =>
            {
                if (a.Description is not null) h.Add($"<p>{a.Description}</p>");
                h.Add($"""
                    <dl class="facts"><dt>Alert id</dt><dd><code>{a.Id}</code></dd><dt>Rule</dt><dd><a href="/rules#rule-{HtmlBuilder.Segment(a.Rule)}">{a.Rule}</a></dd>
                    <dt>Group</dt><dd>{Group(a)}</dd><dt>Events</dt><dd>{a.Count}</dd><dt>First seen</dt><dd>{Layout.Time(a.FirstSeen)}</dd><dt>Last seen</dt><dd>{Layout.Time(a.LastSeen)}</dd>
                    <dt>Stored</dt><dd>{Layout.Time(stored.Stored)}</dd></dl>
                    """);
                if (rule is not null)
                {
                    h.Raw("<section aria-labelledby=\"rule-h\"><h2 id=\"rule-h\">Rule</h2><dl class=\"facts\">");
                    if (rule.Description is not null) h.Add($"<dt>What it catches</dt><dd>{rule.Description}</dd>");
                    h.Add($"<dt>Type</dt><dd>{rule.Type}</dd>");
                    if (rule.When is not null) h.Add($"<dt>When</dt><dd><code>{rule.When}</code></dd>");
                    if (rule.GroupBy is not null) h.Add($"<dt>Grouped by</dt><dd>{rule.GroupBy}</dd>");
                    if (rule.Count is { } n) h.Add($"<dt>Threshold</dt><dd>{n} events within {rule.Within ?? "?"}</dd>");
                    h.Raw("</dl></section>");
                }
                h.Raw("<section aria-labelledby=\"dec-h\"><h2 id=\"dec-h\">Decisions on this entity</h2>");
                if (decisions.Count == 0) h.Raw("<p class=\"muted\">None.</p>");
                else DecisionsPage.Table(ctx, h, decisions, actions: false);
                h.Add($"</section><section aria-labelledby=\"ev-h\"><h2 id=\"ev-h\">Contributing events ({events.Count})</h2>");
                if (events.Count == 0) h.Raw("<p class=\"muted\">The events behind this alert were not stored (it was raised before this server started, or by a replay).</p>");
                var flat = events.Select(AlertView.Flatten).ToList();
                if (flat.Count > 0)
                {
                    h.Raw("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Action</th><th scope=\"col\">Outcome</th><th scope=\"col\">Line</th></tr></thead><tbody>");
                    for (var n = 0; n < flat.Count; n++)
                    {
                        string? F(string name) => flat[n].FirstOrDefault(f => f.Key == name).Value;
                        h.Add($"<tr><td><a href=\"#event-{n + 1}\">{n + 1}</a></td><td class=\"nowrap\">{F("@timestamp")}</td><td>{F("event.action")}</td><td>{F("event.outcome")}</td><td><code class=\"small\">{F("event.original")}</code></td></tr>");
                    }
                    h.Raw("</tbody></table></div>");
                }
                for (var n = 0; n < flat.Count; n++)
                {
                    h.Add($"<details id=\"event-{n + 1}\"><summary>All fields of event {n + 1}</summary>");
                    FieldTable(h, flat[n]);
                    h.Raw("</details>");
                }
                h.Raw("</section>");
            });
        }).RequireAuthorization(WebRoles.Viewer);
    }

    /// <summary>The alert's group as links to the entity pages where the field names an address or a user.</summary>
    internal static RawHtml Group(AlertView a)
    {
        var h = new HtmlBuilder();
        var first = true;
        foreach (var (k, v) in a.Group)
        {
            if (!first) h.Raw(", ");
            first = false;
            if (AlertView.EntityKind(k) is { } kind) h.Add($"<span class=\"muted\">{k}</span> {Layout.Entity(kind, v)}");
            else h.Add($"<span class=\"muted\">{k}</span> {v}");
        }
        return new RawHtml(h.ToString());
    }

    /// <summary>A two-column table of field names and values.</summary>
    internal static void FieldTable(HtmlBuilder h, IEnumerable<KeyValuePair<string, string>> fields)
    {
        h.Raw("<table class=\"fields\"><tbody>");
        foreach (var (k, v) in fields) h.Add($"<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>");
        h.Raw("</tbody></table>");
    }

    internal static void Pager(HtmlBuilder h, string path, int page, bool more, params (string Name, string? Value)[] query)
    {
        if (page <= 1 && !more) return;
        var qs = string.Concat(query.Where(x => x.Value is not null).Select(x => $"&{x.Name}={Uri.EscapeDataString(x.Value!)}"));
        h.Raw("<nav class=\"pager\" aria-label=\"Pages\">");
        if (page > 1) h.Add($"<a href=\"{path}?page={page - 1}{qs}\">← Newer</a>");
        h.Add($"<span>Page {page}</span>");
        if (more) h.Add($"<a href=\"{path}?page={page + 1}{qs}\">Older →</a>");
        h.Raw("</nav>");
    }
}
