using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Activity;
using Gumshoe.Web.Api;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Html;
using Gumshoe.Web.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Web;

/// <summary>
/// The web UI and REST API of a run, on Kestrel: sign-in with local accounts (cookies) or API tokens (bearer),
/// role policies, antiforgery on every form, rate-limited sign-in, and the public <c>/blocked</c> page.
/// </summary>
public sealed class GumshoeWebApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GumshoeWebApp(WebApplication app) => _app = app;

    /// <summary>The address the server listens on (known after <see cref="StartAsync"/>; port 0 becomes the real port).</summary>
    public Uri? Address { get; private set; }

    /// <summary>Builds the app; <paramref name="dataDirectory"/> keeps the keys that protect session cookies across restarts.</summary>
    public static GumshoeWebApp Create(WebOptions options, RunView run, string dataDirectory, ILoggerFactory loggers)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Gumshoe.Web", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggers));
        // the key ring lives in a 0700 folder of the data directory; saying so on every start is noise
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 1 << 20;
            k.Listen(options.Listen, l => { if (options.Certificate is { } cert) l.UseHttps(cert); });
        });
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(run);
        services.AddSingleton(run.Store);
        services.AddSingleton(new SignInThrottle(options.SignInPerUser, options.SignInWindow));

        var keys = Path.Combine(dataDirectory, "web-keys");
        CreatePrivateDirectory(keys);
        services.AddDataProtection().SetApplicationName("gumshoe").PersistKeysToFileSystem(new DirectoryInfo(keys));

        services.AddAuthentication("gumshoe")
            .AddPolicyScheme("gumshoe", "cookie or bearer", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || ctx.Request.Path.StartsWithSegments("/api")
                    ? BearerTokenHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddCookie(o =>
            {
                o.Cookie.Name = "gumshoe.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = options.Session;
                o.SlidingExpiration = true;
                o.LoginPath = "/login";
                o.Events.OnRedirectToAccessDenied = ctx => Forbidden(ctx.HttpContext);
                o.Events.OnValidatePrincipal = ValidatePrincipalAsync;
            });
        services.AddAuthorization(WebRoles.AddPolicies);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "gumshoe.csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "_csrf";
            o.HeaderName = null;
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(LoginPage.RateLimitPolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInPerIp, Window = options.SignInWindow, QueueLimit = 0 }));
            o.OnRejected = (ctx, ct) => new ValueTask(LoginPage.TooManyAttempts().ExecuteAsync(ctx.HttpContext));
        });

        var app = builder.Build();
        // with no trusted proxy the middleware stays out: empty lists would not mean "trust nobody" to it
        if (options.TrustedProxies.Count > 0) app.UseForwardedHeaders(Forwarding(options));
        app.Use(SecurityHeaders);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        StaticFiles.Map(app);
        app.MapGet("/healthz", () => Results.Text("ok\n")).AllowAnonymous();
        app.MapGet("/metrics", (RunView r) => Results.Text(r.Metrics.ToPrometheus(), "text/plain; version=0.0.4")).RequireAuthorization(WebRoles.Viewer);
        LoginPage.Map(app);
        BlockedPage.Map(app);
        DashboardPage.Map(app);
        AlertPages.Map(app);
        DecisionsPage.Map(app);
        EntityPage.Map(app);
        RulesPage.Map(app);
        AuditPage.Map(app);
        ApiEndpoints.Map(app);
        app.MapFallback((HttpContext ctx) => ctx.Request.Path.StartsWithSegments("/api")
            ? Results.Json(new { error = "not found" }, statusCode: 404)
            : Layout.Page(ctx, "Not found", "", h => h.Raw("<p>There is no such page.</p>"), 404));
        return new GumshoeWebApp(app);
    }

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address is taken.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await _app.StartAsync(ct);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Address = address is null ? null : new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal));
    }

    /// <summary>Stops taking requests and lets the ones in flight finish (at most <paramref name="grace"/>).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var cts = new CancellationTokenSource(grace);
        try { await _app.StopAsync(cts.Token); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    private static ForwardedHeadersOptions Forwarding(WebOptions options)
    {
        var f = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = null };
        // the defaults trust loopback; only the configured proxies may speak for a client
        f.KnownProxies.Clear();
        f.KnownIPNetworks.Clear();
        foreach (var net in options.TrustedProxies) f.KnownIPNetworks.Add(net);
        return f;
    }

    private static async Task SecurityHeaders(HttpContext ctx, Func<Task> next)
    {
        var h = ctx.Response.Headers;
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        if (!ctx.Request.Path.StartsWithSegments("/static"))
        {
            h.CacheControl = "no-cache, no-store";
            h.Pragma = "no-cache";
        }
        if (ctx.Request.IsHttps) h.StrictTransportSecurity = "max-age=31536000";
        await next();
    }

    private static Task Forbidden(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Layout.Page(ctx, "Not allowed", "", h => h.Raw("<p>Your role does not allow this. Ask an administrator if you need it.</p>"), 403).ExecuteAsync(ctx);
    }

    // the user may have been removed or given another role since signing in: the store decides, on every request
    private static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext ctx)
    {
        var name = ctx.Principal?.Identity?.Name;
        var store = ctx.HttpContext.RequestServices.GetRequiredService<GumshoeStore>();
        var user = name is null ? null : await store.Users.GetAsync(name, ctx.HttpContext.RequestAborted);
        if (user is null)
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        if (ctx.Principal!.FindFirstValue(ClaimTypes.Role) != UserStore.RoleName(user.Role))
        {
            ctx.ReplacePrincipal(WebRoles.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme));
            ctx.ShouldRenew = true;
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    // hands ASP.NET Core's log lines to the host's logger factory (its console and --log-file)
    private sealed class ForwardingLoggerProvider(ILoggerFactory loggers) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);
        public void Dispose() { }
    }

    /// <summary>The client address after trusted-proxy forwarding.</summary>
    internal static IPAddress? ClientAddress(HttpContext ctx) => ctx.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } a ? a.MapToIPv4() : ctx.Connection.RemoteIpAddress;
}
