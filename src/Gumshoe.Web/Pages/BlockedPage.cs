using System.Net;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Activity;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary>
/// The public "why am I blocked" page: the visitor is known only by their client address (forwarded addresses are
/// believed from trusted proxies only) and, when configured, the user of a recent login from it. It shows that
/// visitor's own active decisions — explanation, remediation, until when — and nothing about anyone else; a
/// self-release button appears when the rule offers it and the store still allows it.
/// </summary>
public static class BlockedPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/blocked", async (HttpContext ctx, GumshoeStore store, RunView run, WebOptions options, string? released) =>
        {
            var (address, user) = Visitor(ctx, run, options);
            var decisions = await store.Decisions.ActiveForAsync(address, user, ctx.RequestAborted);
            var used = new Dictionary<string, int>();
            foreach (var d in decisions.Where(d => d.SelfReleaseMax > 0)) used[d.Id] = await store.Decisions.SelfReleasesUsedAsync(d, ctx.RequestAborted);
            return Render(ctx, address, user, decisions, used, options, released is not null ? "Your access is restored. It can take a minute to apply everywhere." : null, 200);
        }).AllowAnonymous();

        app.MapPost("/blocked/release", async (HttpContext ctx, GumshoeStore store, RunView run, WebOptions options) =>
        {
            var form = await Layout.ReadFormAsync(ctx);
            if (form is null) return Layout.CsrfRejected();
            var (address, user) = Visitor(ctx, run, options);
            var decisions = await store.Decisions.ActiveForAsync(address, user, ctx.RequestAborted);
            // only a decision that applies to this visitor: an id from elsewhere is treated as unknown
            var target = decisions.FirstOrDefault(d => d.Id == form["decision"].ToString());
            string message;
            if (target is null) message = "There is no such active block for you.";
            else if (form["confirm"] != "yes") message = "Please confirm that you have followed the steps first.";
            else
            {
                try
                {
                    var who = "self:" + (address?.ToString() ?? "unknown") + (user is null ? "" : $" ({user})");
                    if (await store.Decisions.SelfReleaseAsync(target.Id, who, "released by the entity itself from /blocked after remediation", ctx.RequestAborted) is not null)
                        return Results.Redirect("/blocked?released=1");
                    message = "This block has already ended.";
                }
                catch (SelfReleaseRefusedException ex) { message = ex.Message; }
            }
            var used = new Dictionary<string, int>();
            foreach (var d in decisions.Where(d => d.SelfReleaseMax > 0)) used[d.Id] = await store.Decisions.SelfReleasesUsedAsync(d, ctx.RequestAborted);
            return Render(ctx, address, user, decisions, used, options, message, 409);
        }).AllowAnonymous();
    }

    private static (IPAddress? Address, string? User) Visitor(HttpContext ctx, RunView run, WebOptions options)
    {
        var address = GumshoeWebApp.ClientAddress(ctx);
        var user = options.UserLookup == VisitorLookup.RecentLogins && address is not null ? run.Activity.UserForAddress(address) : null;
        return (address, user);
    }

    private static IResult Render(HttpContext ctx, IPAddress? address, string? user, List<Decision> decisions, Dictionary<string, int> used,
        WebOptions options, string? message, int status) =>
        Layout.Public("Why am I blocked?", h =>
        {
            h.Raw("<h1>Why am I blocked?</h1>");
            if (message is not null) h.Add($"<p class=\"notice\" role=\"status\">{message}</p>");
            h.Add($"<p>You are visiting from <strong>{address?.ToString() ?? "an unknown address"}</strong>");
            if (user is not null) h.Add($" as <strong>{user}</strong>");
            h.Raw(".</p>");
            if (decisions.Count == 0)
            {
                h.Raw("<section class=\"card ok\" aria-labelledby=\"none\"><h2 id=\"none\">Nothing is blocked for you</h2><p>No active block applies to your address");
                h.Raw(user is null ? ".</p>" : " or your account.</p>");
                h.Raw("<p>If something still does not work, it has another cause: contact your helpdesk.</p></section>");
            }
            for (var i = 0; i < decisions.Count; i++)
            {
                var d = decisions[i];
                h.Add($"<section class=\"card blocked\" aria-labelledby=\"d{i}\"><h2 id=\"d{i}\">{(i == 0 ? "Blocked" : "Also blocked")}: {Subject(d)}</h2>");
                h.Add($"<p class=\"explain\">{d.Explain ?? $"An automatic check ({d.Rule}) found activity from you that looks like an attack or a misuse, so access was paused to protect you and others."}</p>");
                h.Add($"<dl class=\"facts\"><dt>Since</dt><dd>{Layout.Time(d.Created)}</dd><dt>Until</dt><dd>{(d.Expires is { } e ? Layout.Time(e) : new RawHtml("further notice — the helpdesk can lift it"))}</dd><dt>Reference</dt><dd><code>{d.Id}</code></dd></dl>");
                if (d.Remediation is { } rem) h.Add($"<h3>What you can do</h3><p class=\"remediation\">{rem}</p>");
                var left = d.SelfReleaseMax - used.GetValueOrDefault(d.Id);
                if (d.SelfReleaseMax > 0 && left > 0)
                    h.Add($"""
                        <form method="post" action="/blocked/release" class="stack">{Layout.Token(ctx)}<input type="hidden" name="decision" value="{d.Id}">
                        <label class="check"><input type="checkbox" name="confirm" value="yes" required> I have followed the steps above</label>
                        <button type="submit">Restore my access</button><p class="muted">You can do this {left} more time{(left == 1 ? "" : "s")}; after that only the helpdesk can.</p></form>
                        """);
                else if (d.SelfReleaseMax > 0)
                    h.Raw("<p>You have used every self-service release for this block: please contact the helpdesk.</p>");
                h.Raw("</section>");
            }
            h.Add($"<p class=\"muted\">{options.Contact ?? "Need help? Contact your helpdesk and give them the reference above."}</p>");
        }, status);

    private static string Subject(Decision d) => d.Scope switch
    {
        DecisionScope.Ip => "your address " + d.Value,
        DecisionScope.Range => "your network " + d.Value,
        DecisionScope.User => "your account " + d.Value,
        DecisionScope.Mac => "your device " + d.Value,
        _ => d.Value,
    };
}
