using System.Globalization;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gumshoe.Web.Html;

/// <summary>The page frame (landmarks, navigation, sign-out) and small shared pieces: times, badges, CSRF fields.</summary>
public static class Layout
{
    private static readonly (string Href, string Section, string Label)[] Nav =
        [("/", "dashboard", "Dashboard"), ("/alerts", "alerts", "Alerts"), ("/decisions", "decisions", "Decisions"), ("/rules", "rules", "Rules"), ("/audit", "audit", "Audit log")];

    /// <summary>A signed-in page: header with navigation, then <paramref name="body"/> in <c>main</c>.</summary>
    public static IResult Page(HttpContext ctx, string title, string section, Action<HtmlBuilder> body, int status = 200)
    {
        var h = Start(title);
        h.Raw("<header class=\"top\"><a class=\"brand\" href=\"/\">Gumshoe</a><nav aria-label=\"Main\"><ul>");
        foreach (var (href, s, label) in Nav)
            h.Add($"<li><a href=\"{href}\"{Raw(s == section ? " aria-current=\"page\"" : "")}>{label}</a></li>");
        h.Raw("</ul></nav>");
        var user = ctx.User.Identity?.Name;
        var role = WebRoles.RoleOf(ctx.User);
        if (user is not null)
            h.Add($"<form class=\"signout\" method=\"post\" action=\"/logout\">{Token(ctx)}<span class=\"who\">{user} <span class=\"role\">{(role is { } r ? UserStore.RoleName(r) : "")}</span></span> <button type=\"submit\" class=\"link\">Sign out</button></form>");
        h.Raw("</header><main id=\"main\">");
        h.Add($"<h1>{title}</h1>");
        body(h);
        return Finish(h, status);
    }

    /// <summary>A public page (sign-in, "why am I blocked"): no navigation, nothing about other users.</summary>
    public static IResult Public(string title, Action<HtmlBuilder> body, int status = 200)
    {
        var h = Start(title);
        h.Raw("<header class=\"top\"><span class=\"brand\">Gumshoe</span></header><main id=\"main\" class=\"narrow\">");
        body(h);
        return Finish(h, status);
    }

    private static HtmlBuilder Start(string title)
    {
        var h = new HtmlBuilder();
        h.Add($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · Gumshoe</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><a class=\"skip\" href=\"#main\">Skip to content</a>");
        return h;
    }

    private static IResult Finish(HtmlBuilder h, int status)
    {
        h.Raw("</main><footer><p>Gumshoe — a neighbourhood watch for your logs</p></footer><script src=\"/static/vendor/chartjs/chart.umd.min.js\" defer></script><script src=\"/static/app.js\" defer></script></body></html>");
        return Results.Content(h.ToString(), "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    public static RawHtml Raw(string html) => new(html);

    /// <summary>A hidden antiforgery field for a form posted by this visitor.</summary>
    public static RawHtml Token(HttpContext ctx)
    {
        var tokens = ctx.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
        return new($"<input type=\"hidden\" name=\"{HtmlBuilder.Encode(tokens.FormFieldName)}\" value=\"{HtmlBuilder.Encode(tokens.RequestToken)}\">");
    }

    /// <summary>The posted form when its antiforgery token is valid; null otherwise.</summary>
    public static async Task<IFormCollection?> ReadFormAsync(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType) return null;
        try
        {
            await ctx.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(ctx);
            return await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        }
        catch (AntiforgeryValidationException) { return null; }
    }

    /// <summary>The answer to a form post without a valid token.</summary>
    public static IResult CsrfRejected() =>
        Public("Form expired", h => h.Raw("<h1>Form expired</h1><p>This form was not sent from a page of this site, or it is too old. Go back, reload the page and try again.</p>"), 400);

    public static RawHtml Time(DateTimeOffset? t)
    {
        if (t is not { } v) return new("<span class=\"muted\">—</span>");
        var utc = v.ToUniversalTime();
        return new($"<time datetime=\"{utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">{utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</time>");
    }

    public static RawHtml Badge(string text, string kind) => new($"<span class=\"badge badge-{HtmlBuilder.Encode(kind)}\">{HtmlBuilder.Encode(text)}</span>");

    /// <summary>A link to the page of a user or an address.</summary>
    public static RawHtml Entity(string kind, string value) =>
        new($"<a href=\"/entities/{HtmlBuilder.Encode(HtmlBuilder.Segment(kind))}/{HtmlBuilder.Encode(HtmlBuilder.Segment(value))}\">{HtmlBuilder.Encode(value)}</a>");

    /// <summary>"1 h 20 min", "3 d", for how long something lasts.</summary>
    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        if (span.TotalDays >= 1) return $"{(int)span.TotalDays} d" + (span.Hours > 0 ? $" {span.Hours} h" : "");
        if (span.TotalHours >= 1) return $"{(int)span.TotalHours} h" + (span.Minutes > 0 ? $" {span.Minutes} min" : "");
        if (span.TotalMinutes >= 1) return $"{(int)span.TotalMinutes} min";
        return $"{(int)span.TotalSeconds} s";
    }
}
