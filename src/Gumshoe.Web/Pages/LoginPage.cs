using Gumshoe.Engine.Storage;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Pages;

/// <summary><c>/login</c> and <c>/logout</c>: local accounts, rate-limited per address and per user name, audited.</summary>
public static class LoginPage
{
    public const string RateLimitPolicy = "sign-in";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/login", (HttpContext ctx, string? returnUrl) =>
            ctx.User.Identity?.IsAuthenticated == true ? Results.Redirect(LocalUrl(returnUrl)) : Form(ctx, returnUrl, null, 200)).AllowAnonymous();

        app.MapPost("/login", async (HttpContext ctx, GumshoeStore store, SignInThrottle throttle) =>
        {
            var form = await Layout.ReadFormAsync(ctx);
            if (form is null) return Layout.CsrfRejected();
            var name = form["username"].ToString().Trim();
            var password = form["password"].ToString();
            var returnUrl = form["returnUrl"].ToString();
            var client = GumshoeWebApp.ClientAddress(ctx)?.ToString() ?? "unknown";
            if (name.Length == 0 || password.Length == 0) return Form(ctx, returnUrl, "Enter your user name and password.", 400);
            if (name.Length > 64 || !throttle.TryAttempt(name)) return TooManyAttempts();
            var user = await store.Users.VerifyPasswordAsync(name, password, ctx.RequestAborted);
            if (user is null)
            {
                await store.Audit.AppendAsync("web:" + name, "sign_in_failed", null, null, $"from {client}", ctx.RequestAborted);
                return Form(ctx, returnUrl, "Wrong user name or password.", 401);
            }
            await ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, WebRoles.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme),
                new AuthenticationProperties { IsPersistent = false });
            await store.Audit.AppendAsync("web:" + user.Name, "sign_in", null, null, $"from {client}", ctx.RequestAborted);
            return Results.Redirect(LocalUrl(returnUrl));
        }).AllowAnonymous().RequireRateLimiting(RateLimitPolicy);

        app.MapPost("/logout", async (HttpContext ctx) =>
        {
            if (await Layout.ReadFormAsync(ctx) is null) return Layout.CsrfRejected();
            await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        }).RequireAuthorization(WebRoles.Viewer);
    }

    /// <summary>The page shown when sign-in attempts are used up for now.</summary>
    public static IResult TooManyAttempts() =>
        Layout.Public("Too many attempts", h => h.Raw("<h1>Too many sign-in attempts</h1><p>Wait a few minutes, then <a href=\"/login\">try again</a>.</p>"), 429);

    // only paths on this site: "//evil" and "/\evil" are other sites to a browser
    private static string LocalUrl(string? url) =>
        url is { Length: > 0 } u && u[0] == '/' && (u.Length == 1 || (u[1] != '/' && u[1] != '\\')) ? u : "/";

    private static IResult Form(HttpContext ctx, string? returnUrl, string? error, int status) =>
        Layout.Public("Sign in", h =>
        {
            h.Raw("<h1>Sign in</h1>");
            if (error is not null) h.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
            h.Add($"""
                <form method="post" action="/login" class="stack">{Layout.Token(ctx)}
                <input type="hidden" name="returnUrl" value="{LocalUrl(returnUrl)}">
                <label for="username">User name</label><input id="username" name="username" autocomplete="username" required autofocus>
                <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
                <button type="submit">Sign in</button></form>
                <p class="muted">Blocked from something? <a href="/blocked">See why</a>.</p>
                """);
        }, status);
}
