using System.Security.Claims;
using Gumshoe.Engine.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gumshoe.Web.Auth;

/// <summary>The authorization policies: each role may do what the ones below it may (viewer &lt; helpdesk &lt; admin).</summary>
public static class WebRoles
{
    public const string Viewer = "viewer";
    public const string Helpdesk = "helpdesk";
    public const string Admin = "admin";

    /// <summary>The signed-in user's role, or null for an anonymous visitor.</summary>
    public static UserRole? RoleOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && UserStore.TryParseRole(user.FindFirstValue(ClaimTypes.Role) ?? "", out var r) ? r : null;

    public static bool Has(ClaimsPrincipal user, UserRole atLeast) => RoleOf(user) is { } r && r >= atLeast;

    /// <summary>Who did it, for the audit log: <c>web:NAME</c> or <c>api:NAME</c>.</summary>
    public static string Actor(ClaimsPrincipal user) =>
        (user.Identity?.AuthenticationType == BearerTokenHandler.SchemeName ? "api:" : "web:") + (user.Identity?.Name ?? "?");

    public static ClaimsPrincipal Principal(User user, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, UserStore.RoleName(user.Role))], scheme, ClaimTypes.Name, ClaimTypes.Role));

    public static void AddPolicies(AuthorizationOptions o)
    {
        o.AddPolicy(Viewer, p => p.RequireAuthenticatedUser().RequireAssertion(c => Has(c.User, UserRole.Viewer)));
        o.AddPolicy(Helpdesk, p => p.RequireAuthenticatedUser().RequireAssertion(c => Has(c.User, UserRole.Helpdesk)));
        o.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireAssertion(c => Has(c.User, UserRole.Admin)));
        // anything not marked otherwise needs a signed-in user: a forgotten attribute fails closed
        o.FallbackPolicy = o.GetPolicy(Viewer);
    }
}
