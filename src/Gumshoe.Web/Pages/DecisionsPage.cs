using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary>
/// <c>/decisions</c>: active, expired and released decisions with filter and search; the helpdesk releases (with a
/// required reason) and extends, an admin adds. Every change goes through the store, which writes the audit entry.
/// </summary>
public static class DecisionsPage
{
    private static readonly string[] Extensions = ["1h", "4h", "1d", "7d", "30d", "permanent"];
    private static readonly Dictionary<string, string> Done = new(StringComparer.Ordinal)
    {
        ["released"] = "Decision released; the audit log has your reason.",
        ["extended"] = "Decision extended.",
        ["added"] = "Decision added.",
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/decisions", (HttpContext ctx, GumshoeStore store, string? state, string? scope, string? rule, string? q, string? done) =>
            ListAsync(ctx, store, state, scope, rule, q, done is not null && Done.TryGetValue(done, out var m) ? m : null, null, 200))
            .RequireAuthorization(WebRoles.Viewer);

        app.MapPost("/decisions/{id}/release", async (HttpContext ctx, GumshoeStore store, string id) =>
        {
            var form = await Layout.ReadFormAsync(ctx);
            if (form is null) return Layout.CsrfRejected();
            var reason = form["reason"].ToString().Trim();
            if (reason.Length == 0) return await ListAsync(ctx, store, null, null, null, null, null, "Say why you release it: the reason is kept in the audit log.", 400);
            if (reason.Length > 1000) reason = reason[..1000];
            var d = await store.Decisions.ReleaseAsync(id, WebRoles.Actor(ctx.User), reason, ctx.RequestAborted);
            return d is null ? await ListAsync(ctx, store, null, null, null, null, null, "That decision is no longer active.", 409)
                : Results.Redirect("/decisions?done=released");
        }).RequireAuthorization(WebRoles.Helpdesk);

        app.MapPost("/decisions/{id}/extend", async (HttpContext ctx, GumshoeStore store, string id) =>
        {
            var form = await Layout.ReadFormAsync(ctx);
            if (form is null) return Layout.CsrfRejected();
            if (!TryDuration(form["duration"].ToString(), out var by))
                return await ListAsync(ctx, store, null, null, null, null, null, "Choose how much longer: 1h, 4h, 1d, 7d, 30d or permanent.", 400);
            var reason = form["reason"].ToString().Trim();
            var d = await store.Decisions.ExtendAsync(id, by, WebRoles.Actor(ctx.User), reason.Length > 0 ? reason[..Math.Min(1000, reason.Length)] : "extended from the web UI", ctx.RequestAborted);
            return d is null ? await ListAsync(ctx, store, null, null, null, null, null, "That decision is no longer active.", 409)
                : Results.Redirect("/decisions?done=extended");
        }).RequireAuthorization(WebRoles.Helpdesk);

        app.MapPost("/decisions", async (HttpContext ctx, GumshoeStore store) =>
        {
            var form = await Layout.ReadFormAsync(ctx);
            if (form is null) return Layout.CsrfRejected();
            var (outcome, error) = await AddAsync(store, form["scope"].ToString(), form["value"].ToString(), form["reason"].ToString(), form["duration"].ToString(),
                form["explain"].ToString(), WebRoles.Actor(ctx.User), ctx.RequestAborted);
            return error is not null ? await ListAsync(ctx, store, null, null, null, null, null, error, 400) : Results.Redirect("/decisions?done=added");
        }).RequireAuthorization(WebRoles.Admin);
    }

    /// <summary>Adds a decision by hand (web form and API): validated, audited by the store.</summary>
    internal static async Task<(DecisionOutcome? Outcome, string? Error)> AddAsync(GumshoeStore store, string scope, string value, string reason, string? duration,
        string? explain, string actor, CancellationToken ct)
    {
        scope = scope.Trim();
        if (scope.Length == 0 || value.Trim().Length == 0 || reason.Trim().Length == 0) return (null, "A decision needs a scope, a value and a reason.");
        if (!TryDuration(string.IsNullOrWhiteSpace(duration) ? "1h" : duration, out var span)) return (null, $"Unknown duration '{duration}': use 30m, 1h, 7d or permanent.");
        try
        {
            var outcome = await store.Decisions.ApplyAsync(new DecisionRequest
            {
                Scope = scope, Value = value.Trim(), Reason = reason.Trim(), Rule = DecisionStore.ManualRule, Window = Guid.NewGuid().ToString("N"),
                Steps = [span], Explain = string.IsNullOrWhiteSpace(explain) ? null : explain.Trim(),
            }, actor, ct);
            return outcome.Decision is null
                ? (outcome, outcome.Kind == DecisionOutcomeKind.AllowListed ? "That entity is on the allow-list." : "That entity was released recently (grace period).")
                : (outcome, null);
        }
        catch (ArgumentException ex) { return (null, ex.Message); }
    }

    internal static bool TryDuration(string text, out TimeSpan? span)
    {
        span = null;
        text = text.Trim();
        if (text.Equals("permanent", StringComparison.OrdinalIgnoreCase)) return true;
        if (Duration.TryParse(text, out var d) && d > TimeSpan.Zero) { span = d; return true; }
        return false;
    }

    private static async Task<IResult> ListAsync(HttpContext ctx, GumshoeStore store, string? state, string? scope, string? rule, string? q,
        string? notice, string? error, int status)
    {
        state = state is "expired" or "released" or "all" ? state : "active";
        scope = string.IsNullOrWhiteSpace(scope) ? null : scope.Trim();
        rule = string.IsNullOrWhiteSpace(rule) ? null : rule.Trim();
        q = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        var states = state switch
        {
            "expired" => new[] { DecisionState.Expired },
            "released" => [DecisionState.Released],
            "all" => [DecisionState.Active, DecisionState.Expired, DecisionState.Released],
            _ => null,
        };
        var decisions = await store.Decisions.ListAsync(new DecisionQuery { States = states, Scope = scope, Rule = rule, Search = q, Limit = 500 }, ctx.RequestAborted);
        return Layout.Page(ctx, "Decisions", "decisions", h =>
        {
            if (notice is not null) h.Add($"<p class=\"notice\" role=\"status\">{notice}</p>");
            if (error is not null) h.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
            h.Raw("<form method=\"get\" action=\"/decisions\" class=\"filters\" role=\"search\"><label for=\"state\">State</label><select id=\"state\" name=\"state\">");
            foreach (var s in new[] { "active", "expired", "released", "all" }) h.Add($"<option{Layout.Raw(s == state ? " selected" : "")}>{s}</option>");
            h.Raw("</select><label for=\"scope\">Scope</label><select id=\"scope\" name=\"scope\"><option value=\"\">any</option>");
            foreach (var s in DecisionScope.Names) h.Add($"<option{Layout.Raw(s == scope ? " selected" : "")}>{s}</option>");
            h.Add($"</select><label for=\"frule\">Rule</label><input id=\"frule\" name=\"rule\" value=\"{rule}\"><label for=\"q\">Search</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{q}\" placeholder=\"value, reason, id\"><button type=\"submit\">Filter</button></form>");
            if (decisions.Count == 0) h.Raw("<p class=\"muted\">No decisions match.</p>");
            else Table(ctx, h, decisions, actions: true);
            if (WebRoles.Has(ctx.User, UserRole.Admin))
            {
                h.Add($"""
                    <section aria-labelledby="add-h"><h2 id="add-h">Add a decision</h2>
                    <form method="post" action="/decisions" class="grid-form">{Layout.Token(ctx)}
                    <label for="a-scope">Scope</label><select id="a-scope" name="scope">{Layout.Raw(string.Concat(DecisionScope.Names.Select(s => $"<option>{s}</option>")))}</select>
                    <label for="a-value">Value</label><input id="a-value" name="value" required placeholder="203.0.113.7, alice …">
                    <label for="a-duration">Duration</label><input id="a-duration" name="duration" value="1h" required>
                    <label for="a-reason">Reason</label><input id="a-reason" name="reason" required>
                    <label for="a-explain">Explanation shown on /blocked</label><input id="a-explain" name="explain">
                    <button type="submit">Add decision</button></form></section>
                    """);
            }
        }, status);
    }

    /// <summary>The decisions table; with <paramref name="actions"/>, release and extend forms for the helpdesk.</summary>
    internal static void Table(HttpContext ctx, HtmlBuilder h, IReadOnlyList<Decision> decisions, bool actions)
    {
        var canAct = actions && WebRoles.Has(ctx.User, UserRole.Helpdesk);
        h.Raw("<div class=\"scroll\"><table class=\"decisions\"><thead><tr><th scope=\"col\">Entity</th><th scope=\"col\">Reason</th><th scope=\"col\">Rule</th><th scope=\"col\">Since (UTC)</th><th scope=\"col\">Until (UTC)</th><th scope=\"col\">State</th>");
        if (canAct) h.Raw("<th scope=\"col\">Action</th>");
        h.Raw("</tr></thead><tbody>");
        foreach (var d in decisions)
        {
            var entity = d.Scope is DecisionScope.Ip ? Layout.Entity("ip", d.Value) : d.Scope is DecisionScope.User ? Layout.Entity("user", d.Value) : new RawHtml(HtmlBuilder.Encode(d.Value));
            var state = Decision.StateName(d.State);
            h.Add($"<tr id=\"{d.Id}\"><td><span class=\"muted\">{d.Scope}</span> {entity}<br><code class=\"small\">{d.Id}</code></td><td>{d.Reason}");
            if (d.AlertId is not null) h.Add($" <a href=\"/alerts/{HtmlBuilder.Segment(d.AlertId)}\" class=\"small\">alert</a>");
            if (d.EndReason is not null) h.Add($"<br><span class=\"small\">{state} by {d.EndedBy ?? "?"}: {d.EndReason}</span>");
            h.Add($"</td><td>{d.Rule}{(d.Level > 0 ? $" (level {d.Level})" : "")}</td><td>{Layout.Time(d.Created)}</td><td>{(d.State == DecisionState.Active ? (d.Expires is { } e ? Layout.Time(e) : Layout.Raw("permanent")) : Layout.Time(d.Ended ?? d.Expires))}</td>");
            h.Add($"<td>{Layout.Badge(state, d.State == DecisionState.Active ? "bad" : "muted")}</td>");
            if (canAct)
            {
                h.Raw("<td class=\"actions\">");
                if (d.State == DecisionState.Active)
                {
                    h.Add($"""
                        <form method="post" action="/decisions/{HtmlBuilder.Segment(d.Id)}/release" class="inline">{Layout.Token(ctx)}
                        <label for="r-{d.Id}" class="sr-only">Reason for releasing {d.Value}</label><input id="r-{d.Id}" name="reason" required placeholder="why (required)">
                        <button type="submit">Release</button></form>
                        <form method="post" action="/decisions/{HtmlBuilder.Segment(d.Id)}/extend" class="inline">{Layout.Token(ctx)}
                        <label for="x-{d.Id}" class="sr-only">Extend {d.Value} by</label><select id="x-{d.Id}" name="duration">{Layout.Raw(string.Concat(Extensions.Select(x => $"<option>{x}</option>")))}</select>
                        <button type="submit" class="secondary">Extend</button></form>
                        """);
                }
                h.Raw("</td>");
            }
            h.Raw("</tr>");
        }
        h.Raw("</tbody></table></div>");
    }
}
