using System.CommandLine;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe decisions list|add|release|extend</c>: the penalty box from the command line, audited.</summary>
public static class DecisionsCommand
{
    public static Command Create()
    {
        var dataDir = DbCommand.DataDirOption();
        var by = new Option<string?>("--by") { Description = "Who does it, for the audit log (default cli:$USER)" };

        var json = new Option<bool>("--json") { Description = "One JSON object per line (id, scope, value, reason, rule, created, expires, state …)" };
        var all = new Option<bool>("--all") { Description = "Also expired and released decisions" };
        var scopeFilter = new Option<string?>("--scope") { Description = "Only this scope (ip, range, user, mac, field …)" };
        var valueFilter = new Option<string?>("--value") { Description = "Only this value" };
        var ruleFilter = new Option<string?>("--rule") { Description = "Only decisions of this rule" };
        var list = new Command("list", "List active decisions (--all: every decision), highest priority first") { json, all, scopeFilter, valueFilter, ruleFilter, dataDir };
        list.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            var decisions = await store.Decisions.ListAsync(new DecisionQuery
            {
                States = r.GetValue(all) ? [DecisionState.Active, DecisionState.Expired, DecisionState.Released] : null,
                Scope = r.GetValue(scopeFilter), Value = r.GetValue(valueFilter), Rule = r.GetValue(ruleFilter), Limit = int.MaxValue,
            }, ct);
            if (r.GetValue(json))
            {
                await using var stdout = Console.OpenStandardOutput();
                foreach (var d in decisions)
                {
                    using (var w = new Utf8JsonWriter(stdout)) d.WriteJson(w);
                    stdout.WriteByte((byte)'\n');
                }
                return 0;
            }
            if (decisions.Count == 0) { Console.Error.WriteLine(r.GetValue(all) ? "no decisions" : "no active decisions"); return 0; }
            Console.WriteLine("ID\tSTATE\tSCOPE\tVALUE\tEXPIRES\tRULE\tREASON");
            foreach (var d in decisions)
                Console.WriteLine($"{d.Id}\t{Decision.StateName(d.State)}\t{d.Scope}\t{d.Value}\t{(d.Expires is { } e ? EventTime.Format(e) : "permanent")}\t{d.Rule}\t{d.Reason}");
            return 0;
        });

        var scope = new Option<string>("--scope") { Description = "ip, range, user, mac, field or a field name", Required = true };
        var value = new Option<string>("--value") { Description = "The address, range, user … to penalise", Required = true };
        var duration = new Option<string>("--duration") { Description = "How long: 30m, 1h, 7d or permanent", DefaultValueFactory = _ => "1h" };
        var reason = new Option<string>("--reason") { Description = "Why (shown to the helpdesk and in the audit log)", Required = true };
        var priority = new Option<int>("--priority") { Description = "Higher priorities are shown first", DefaultValueFactory = _ => 0 };
        var explain = new Option<string?>("--explain") { Description = "Plain-language explanation shown to the penalised entity" };
        var add = new Command("add", "Penalise an entity by hand") { scope, value, duration, reason, priority, explain, by, dataDir };
        add.SetAction(async (r, ct) =>
        {
            if (!TryDuration(r.GetValue(duration)!, out var span)) return 2;
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            DecisionOutcome outcome;
            try
            {
                outcome = await store.Decisions.ApplyAsync(new DecisionRequest
                {
                    Scope = r.GetValue(scope)!, Value = r.GetValue(value)!, Reason = r.GetValue(reason)!, Rule = DecisionStore.ManualRule,
                    Window = Guid.NewGuid().ToString("N"), Steps = [span], Priority = r.GetValue(priority), Explain = r.GetValue(explain),
                }, DbCommand.Actor(r.GetValue(by)), ct);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            if (outcome.Decision is not { } d)
            {
                Console.Error.WriteLine($"refused: {(outcome.Kind == DecisionOutcomeKind.AllowListed ? "the entity is on the allow-list" : "the entity was released recently (grace period)")}");
                return 1;
            }
            Console.Error.WriteLine($"{outcome.Kind.ToString().ToLowerInvariant()}: {d.Scope} {d.Value} until {(d.Expires is { } e ? EventTime.Format(e) : "permanent")}");
            Console.WriteLine(d.Id);
            return 0;
        });

        var id = new Argument<string>("id") { Description = "Decision id (see decisions list)" };
        var releaseReason = new Option<string>("--reason") { Description = "Why (required; kept in the audit log)", Required = true };
        var release = new Command("release", "End an active decision now") { id, releaseReason, by, dataDir };
        release.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            var reasonText = r.GetValue(releaseReason)!;
            if (string.IsNullOrWhiteSpace(reasonText)) { Console.Error.WriteLine("error: --reason must say why"); return 2; }
            var d = await store.Decisions.ReleaseAsync(r.GetValue(id)!, DbCommand.Actor(r.GetValue(by)), reasonText, ct);
            if (d is null) { Console.Error.WriteLine($"error: no active decision '{r.GetValue(id)}'"); return 1; }
            Console.Error.WriteLine($"released {d.Id} ({d.Scope} {d.Value})");
            return 0;
        });

        var extendBy = new Option<string>("--duration") { Description = "How much longer: 1h, 7d, or permanent", Required = true };
        var extendReason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)" };
        var extend = new Command("extend", "Make an active decision last longer (counted from its current end)") { id, extendBy, extendReason, by, dataDir };
        extend.SetAction(async (r, ct) =>
        {
            if (!TryDuration(r.GetValue(extendBy)!, out var span)) return 2;
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            var d = await store.Decisions.ExtendAsync(r.GetValue(id)!, span, DbCommand.Actor(r.GetValue(by)), r.GetValue(extendReason) ?? "extended by hand", ct);
            if (d is null) { Console.Error.WriteLine($"error: no active decision '{r.GetValue(id)}'"); return 1; }
            Console.Error.WriteLine($"extended {d.Id} until {(d.Expires is { } e ? EventTime.Format(e) : "permanent")}");
            return 0;
        });
        return new Command("decisions", "The penalty box: list, add, release and extend decisions") { list, add, release, extend };
    }

    private static bool TryDuration(string text, out TimeSpan? span)
    {
        span = null;
        if (text.Trim().Equals("permanent", StringComparison.OrdinalIgnoreCase)) return true;
        if (Duration.TryParse(text, out var d) && d > TimeSpan.Zero) { span = d; return true; }
        Console.Error.WriteLine($"error: --duration: expected 30m, 1h, 7d or permanent, got '{text}'");
        return false;
    }
}
