using System.Buffers;
using System.Text.Json;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Auth;
using Gumshoe.Web.Pages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gumshoe.Web.Api;

/// <summary>
/// The REST API under <c>/api/</c>, for scripts and other tools: bearer tokens only (no cookies, so no CSRF),
/// JSON in and out. Alerts are in the <c>--alerts-out</c> format, decisions in the <c>decisions list --json</c> format.
/// </summary>
public static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/alerts", async (GumshoeStore store, string? rule, string? q, int? limit, int? offset, CancellationToken ct) =>
        {
            var alerts = await store.Alerts.ListAsync(rule, q, Math.Clamp(limit ?? 100, 1, 1000), Math.Max(0, offset ?? 0), ct);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("alerts");
                foreach (var a in alerts) w.WriteRawValue(a.Json, skipInputValidation: true);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }).RequireAuthorization(WebRoles.Viewer);

        api.MapGet("/alerts/{id}", async (GumshoeStore store, string id, CancellationToken ct) =>
        {
            var a = await store.Alerts.GetAsync(id, ct);
            if (a is null) return Error(404, $"no alert '{id}'");
            var events = await store.Alerts.EventsAsync(id, ct);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("alert");
                w.WriteRawValue(a.Json, skipInputValidation: true);
                w.WriteStartArray("events");
                foreach (var e in events) w.WriteRawValue(e, skipInputValidation: true);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }).RequireAuthorization(WebRoles.Viewer);

        api.MapGet("/decisions", async (GumshoeStore store, string? state, string? scope, string? value, string? rule, string? q, int? limit, CancellationToken ct) =>
        {
            IReadOnlyCollection<DecisionState>? states = state switch
            {
                null or "" or "active" => null,
                "expired" => [DecisionState.Expired],
                "released" => [DecisionState.Released],
                "all" => [DecisionState.Active, DecisionState.Expired, DecisionState.Released],
                _ => [],
            };
            if (states is { Count: 0 }) return Error(400, "state: use active, expired, released or all");
            var list = await store.Decisions.ListAsync(new DecisionQuery { States = states, Scope = scope, Value = value, Rule = rule, Search = q, Limit = Math.Clamp(limit ?? 1000, 1, 10_000) }, ct);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("decisions");
                foreach (var d in list) d.WriteJson(w);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }).RequireAuthorization(WebRoles.Viewer);

        api.MapGet("/decisions/{id}", async (GumshoeStore store, string id, CancellationToken ct) =>
            await store.Decisions.GetAsync(id, ct) is { } d ? Json(w => Wrap(w, "decision", d)) : Error(404, $"no decision '{id}'"))
            .RequireAuthorization(WebRoles.Viewer);

        api.MapPost("/decisions", async (HttpContext ctx, GumshoeStore store) =>
        {
            var body = await ReadAsync(ctx);
            if (body is null) return Error(400, "expected a JSON object: {\"scope\": \"ip\", \"value\": \"203.0.113.7\", \"reason\": \"...\", \"duration\": \"1h\"}");
            var (outcome, error) = await DecisionsPage.AddAsync(store, Str(body, "scope") ?? "", Str(body, "value") ?? "", Str(body, "reason") ?? "",
                Str(body, "duration"), Str(body, "explain"), WebRoles.Actor(ctx.User), ctx.RequestAborted);
            if (error is not null) return Error(outcome is null ? 400 : 409, error);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("outcome", outcome!.Kind.ToString().ToLowerInvariant());
                w.WritePropertyName("decision");
                outcome.Decision!.WriteJson(w);
                w.WriteEndObject();
            }, outcome!.Kind == DecisionOutcomeKind.Created ? 201 : 200);
        }).RequireAuthorization(WebRoles.Admin);

        api.MapPost("/decisions/{id}/release", async (HttpContext ctx, GumshoeStore store, string id) =>
        {
            var body = await ReadAsync(ctx);
            var reason = body is null ? null : Str(body, "reason")?.Trim();
            if (string.IsNullOrEmpty(reason)) return Error(400, "a release needs a reason: {\"reason\": \"...\"}");
            if (await store.Decisions.GetAsync(id, ctx.RequestAborted) is null) return Error(404, $"no decision '{id}'");
            var d = await store.Decisions.ReleaseAsync(id, WebRoles.Actor(ctx.User), reason, ctx.RequestAborted);
            return d is null ? Error(409, $"decision '{id}' is not active") : Json(w => Wrap(w, "decision", d));
        }).RequireAuthorization(WebRoles.Helpdesk);

        api.MapPost("/decisions/{id}/extend", async (HttpContext ctx, GumshoeStore store, string id) =>
        {
            var body = await ReadAsync(ctx);
            if (body is null || !DecisionsPage.TryDuration(Str(body, "duration") ?? "", out var by))
                return Error(400, "expected {\"duration\": \"1h\" | \"7d\" | \"permanent\", \"reason\": \"...\"}");
            if (await store.Decisions.GetAsync(id, ctx.RequestAborted) is null) return Error(404, $"no decision '{id}'");
            var d = await store.Decisions.ExtendAsync(id, by, WebRoles.Actor(ctx.User), Str(body, "reason") ?? "extended through the API", ctx.RequestAborted);
            return d is null ? Error(409, $"decision '{id}' is not active") : Json(w => Wrap(w, "decision", d));
        }).RequireAuthorization(WebRoles.Helpdesk);

        api.MapGet("/audit", async (GumshoeStore store, string? decision, string? actor, int? limit, long? before, CancellationToken ct) =>
        {
            var entries = await store.Audit.ListAsync(decision, actor, Math.Clamp(limit ?? 200, 1, 5000), before, ct);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("entries");
                foreach (var e in entries)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", e.Id);
                    w.WriteString("at", EventTime.Format(e.At));
                    w.WriteString("actor", e.Actor);
                    w.WriteString("action", e.Action);
                    if (e.DecisionId is null) w.WriteNull("decision_id"); else w.WriteString("decision_id", e.DecisionId);
                    if (e.Reason is null) w.WriteNull("reason"); else w.WriteString("reason", e.Reason);
                    if (e.Detail is null) w.WriteNull("detail"); else w.WriteString("detail", e.Detail);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }).RequireAuthorization(WebRoles.Viewer);
    }

    private static void Wrap(Utf8JsonWriter w, string name, Decision d)
    {
        w.WriteStartObject();
        w.WritePropertyName(name);
        d.WriteJson(w);
        w.WriteEndObject();
    }

    private static IResult Json(Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return Results.Text(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), "application/json; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    private static IResult Error(int status, string message) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteEndObject();
    }, status);

    private static async Task<JsonElement?> ReadAsync(HttpContext ctx)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException) { return null; }
    }

    private static string? Str(JsonElement? body, string name) =>
        body is { } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
