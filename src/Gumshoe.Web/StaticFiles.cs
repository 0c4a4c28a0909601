using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web;

/// <summary>Serves the stylesheet, script and vendored Chart.js embedded in the assembly under <c>/static/</c>.</summary>
internal static class StaticFiles
{
    private sealed record File(byte[] Content, string ContentType, string ETag);

    private static readonly Lazy<Dictionary<string, File>> Files = new(Load);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/static/{**path}", (string path, HttpContext ctx) =>
        {
            if (!Files.Value.TryGetValue(path, out var f)) return Results.NotFound();
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            ctx.Response.Headers.ETag = f.ETag;
            if (ctx.Request.Headers.IfNoneMatch == f.ETag) return Results.StatusCode(304);
            return Results.Bytes(f.Content, f.ContentType);
        }).AllowAnonymous();

    private static Dictionary<string, File> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, File>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            var bytes = m.ToArray();
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".md" => "text/plain; charset=utf-8",
                ".png" => "image/png",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name["wwwroot/".Length..]] = new File(bytes, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8)) + "\"");
        }
        return files;
    }
}
