using System.Text;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Conditions;
using Gumshoe.Engine.Tests.Parsers;
using Gumshoe.Engine.Tests.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>
/// The replay prefilter: a line it skips is one the parser matches, with the same event time, into an event whose
/// action no rule wants; and a replay gives the same alerts and counters with and without it.
/// </summary>
public sealed class ReplayPrefilterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-prefilter-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Every branch of the sshd classifier, wrappers ("error: ", "message repeated"), and header forms the
    // prefilter must leave to the parser (fraction, RFC 3339, PRI, another program, an impossible date).
    private static readonly string[] Crafted =
    [
        "Mar  4 10:00:00 gate sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
        "Mar  4 10:00:00 gate sshd[1]: Failed password for invalid user bob from 1.2.3.4 port 22 ssh2",
        "Mar  4 10:00:00 gate sshd[1]: Failed publickey for bob from 1.2.3.4 port 22 ssh2: RSA SHA256:x",
        "Mar  4 10:00:00 gate sshd[1]: Failed none for invalid user  from 1.2.3.4 port 22 ssh2",
        "Mar  4 10:00:00 gate sshd[1]: message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
        "Mar  4 10:00:00 gate sshd[1]: message repeated 2 times: [ Invalid user admin from 1.2.3.4 port 22]",
        "Mar  4 10:00:00 gate sshd[1]: error: PAM: Authentication failure for illegal user x from host.example",
        "Mar  4 10:00:00 gate sshd[1]: Invalid user  from 1.2.3.4",
        "Mar  4 10:00:00 gate sshd[1]: Illegal user test from 1.2.3.4",
        "Mar  4 10:00:00 gate sshd[1]: input_userauth_request: invalid user test [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
        "Mar  4 10:00:00 gate sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
        "Mar  4 10:00:00 gate sshd[1]: pam_unix(sshd:auth): check pass; user unknown",
        "Mar  4 10:00:00 gate sshd[1]: ROOT LOGIN REFUSED FROM 1.2.3.4 port 22",
        "Mar  4 10:00:00 gate sshd[1]: User bob from 1.2.3.4 not allowed because not listed in AllowUsers",
        "Mar  4 10:00:00 gate sshd[1]: error: maximum authentication attempts exceeded for invalid user x from 1.2.3.4 port 22 ssh2 [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Disconnecting: Too many authentication failures for root [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Disconnecting authenticating user root 1.2.3.4 port 22: Too many authentication failures [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Connection closed by 1.2.3.4 port 22",
        "Mar  4 10:00:00 gate sshd[1]: Connection reset by 1.2.3.4 port 22 [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Disconnected from user bob 1.2.3.4 port 22",
        "Mar  4 10:00:00 gate sshd[1]: Received disconnect from 1.2.3.4 port 22:11: Bye Bye [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Received disconnect from 1.2.3.4: 11: disconnected by user",
        "Mar  4 10:00:00 gate sshd[1]: Did not receive identification string from 1.2.3.4 port 22",
        "Mar  4 10:00:00 gate sshd[1]: Unable to negotiate with 1.2.3.4 port 22: no matching key exchange method found. [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: banner exchange: Connection from 1.2.3.4 port 22: invalid format",
        "Mar  4 10:00:00 gate sshd[1]: Bad protocol version identification 'GET /' from 1.2.3.4 port 22",
        "Mar  4 10:00:00 gate sshd[1]: reverse mapping checking getaddrinfo for h.example [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!",
        "Mar  4 10:00:00 gate sshd[1]: Address 1.2.3.4 maps to h.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
        "Mar  4 10:00:00 gate sshd[1]: Accepted password for bob from 1.2.3.4 port 22 ssh2",
        "Mar  4 10:00:00 gate sshd[1]: Accepted publickey for bob from 2001:db8::1 port 22 ssh2: ED25519 SHA256:x",
        "Mar  4 10:00:00 gate sshd[1]: pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)",
        "Mar  4 10:00:00 gate sshd[1]: pam_unix(sshd:session): session closed for user bob",
        "Mar  4 10:00:00 gate sshd[1]: Connection from 1.2.3.4 port 22 on 10.0.0.5 port 22",
        "Mar  4 10:00:00 gate sshd[1]: Write failed: Connection reset by peer [preauth]",
        "Mar  4 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Mar  4 10:00:00 gate sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=1.2.3.4",
        "Mar  4 10:00:00 gate sshd-session[1]: Failed password for root from 1.2.3.4 port 22 ssh2",
        "Mar  4 10:00:00 gate sshd: Server listening on 0.0.0.0 port 22.",
        "Mar 14 10:00:00.123456 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Mar 4 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Feb 30 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Feb 29 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Dec 31 23:59:60 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "2024-03-04T10:00:00+01:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "<38>Mar  4 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.",
        "Mar  4 10:00:00 gate cron[1]: (root) CMD (true)",
        "Mar  4 10:00:00 gate sshd [1]: spaced tag",
        "Mar  4 10:00:00 gate sshd[1]:no space after the colon",
        "Mar  4 10:00:00  sshd[1]: no host",
        "Mar  4 10:00:00 gate sshd[1]: user naïve from 1.2.3.4",
    ];

    private static IEnumerable<string> RealAndCraftedLines() =>
        File.ReadLines(SharedData.File("logs/OpenSSH_2k.log"))
            .Concat(File.ReadLines(SharedData.File("logs/Linux_2k.log")))
            .Concat(Crafted);

    [Fact]
    public void ASkippedLineIsOneTheParserMatchesAtTheSameTimeIntoAnEventOfAnUnwantedAction()
    {
        var parser = new SshdParser();
        var context = Context(zone: TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        var lines = RealAndCraftedLines().ToList();
        var skippedEver = new HashSet<string>(StringComparer.Ordinal);
        var wanted = parser.EventActions.Where(a => a != SshdParser.Actions.Other).Select(a => new[] { a })
            .Append([SshdParser.Actions.AuthFailed, SshdParser.Actions.InvalidUser])
            .Append([]);
        foreach (var actions in wanted)
        {
            var prefilter = parser.PrefilterFor(actions.ToHashSet());
            Assert.NotNull(prefilter);
            var skipped = 0;
            foreach (var line in lines)
            {
                if (!prefilter.CanSkip(Encoding.UTF8.GetBytes(line), context, out var at)) continue;
                skipped++;
                skippedEver.Add(line);
                var (outcome, e) = Run(parser, line, context);
                Assert.True(outcome.Status == ParseStatus.Matched, $"skipped but not matched: {line}");
                Assert.True(at == e.Timestamp, $"skipped with time {at:o}, parsed {e.Timestamp:o}: {line}");
                var action = e.GetString(Ecs.EventAction)!;
                Assert.False(actions.Contains(action), $"skipped a line of wanted action {action} (wanted {string.Join(", ", actions)}): {line}");
            }
            Assert.True(skipped > 100, $"wanted {string.Join(", ", actions)}: only {skipped} lines skipped");
        }
        // the header forms the prefilter cannot read are always left to the parser
        foreach (var odd in Crafted.Where(l => l.Contains(".123456") || l.StartsWith('2') || l.StartsWith('<') || l.StartsWith("Feb 30") || l.Contains("cron[") || l.Contains("naïve")))
            Assert.DoesNotContain(odd, skippedEver);
    }

    [Fact]
    public void NoPrefilterWhenARuleMayWantAnActionAnyMessageCanGet() =>
        Assert.Null(new SshdParser().PrefilterFor(new HashSet<string> { SshdParser.Actions.AuthFailed, SshdParser.Actions.Other }));

    [Theory]
    [InlineData("""event.action == "ssh_auth_failed" """, "ssh_auth_failed")]
    [InlineData("""event.action == "SSH_AUTH_FAILED" """, "ssh_auth_failed")] // comparisons ignore case
    [InlineData("""cased(event.action == "SSH_AUTH_FAILED")""", "")]
    [InlineData("""(event.action == "ssh_auth_failed" and ssh.auth_method == "password") or event.action == "ssh_invalid_user" """, "ssh_auth_failed,ssh_invalid_user")]
    [InlineData("""event.action in ["ssh_login", "ssh_invalid_user"] and user.name != "root" """, "ssh_invalid_user,ssh_login")]
    [InlineData("""event.action startswith "ssh_session" """, "ssh_session_closed,ssh_session_opened")]
    [InlineData("""not event.action != "ssh_login" """, "ssh_login")]
    [InlineData("""event.action == "ssh_login" or user.name == "root" """, "*")]
    [InlineData("""not (event.action == "ssh_login" and user.name == "root")""", "*")]
    [InlineData("""event.outcome == "failure" """, "*")]
    public void PossibleActionsFollowThreeValuedLogic(string condition, string expected)
    {
        var actions = new SshdParser().EventActions;
        var possible = ConditionCompiler.PossibleValues(Node($"'{condition.Replace("'", "''")}'"), Ecs.EventAction, actions);
        var want = expected == "*" ? actions.Order(StringComparer.Ordinal) : expected.Split(',', StringSplitOptions.RemoveEmptyEntries).AsEnumerable();
        Assert.Equal(want, possible.Order(StringComparer.Ordinal));
    }

    private string Config(string rules) => RuleKit.WriteConfig($$"""
        inputs:
          - name: auth
            type: file
            paths: ["{{_dir}}/auth.log"]
            parser: sshd
        rules:
        {{rules}}
        """);

    private const string BruteForce = """
          - name: ssh-bruteforce
            type: threshold
            when: >-
              (event.action == "ssh_auth_failed" and ssh.auth_method == "password")
              or event.action == "ssh_invalid_user"
            group_by: [source.ip]
            count: 5
            within: 60s
        """;

    // Every rule type, each limited to actions; the absence rule fires from the clock alone (skipped lines move it).
    internal const string EveryType = """
          - name: bruteforce
            type: threshold
            when: event.action in ["ssh_auth_failed", "ssh_invalid_user"]
            group_by: [source.ip]
            count: 3
            within: 60s
          - name: spraying
            type: distinct_count
            when: event.action == "ssh_auth_failed"
            group_by: [source.ip]
            field: user.name
            count: 2
            within: 10m
          - name: fail-then-close
            type: sequence
            group_by: [source.ip]
            within: 5m
            steps:
              - when: event.action == "ssh_auth_failed"
                count: 2
              - event.action == "ssh_preauth_disconnect"
            until: event.action == "ssh_login"
          - name: invalid-without-close
            type: absence
            when: event.action == "ssh_invalid_user"
            expect: event.action == "ssh_preauth_disconnect"
            group_by: [source.ip]
            within: 30s
          - name: root-refused
            when: event.action == "ssh_login_refused"
            group_by: [source.ip]
            suppress: 10m
        """;

    [Theory]
    [InlineData(BruteForce)]
    [InlineData(EveryType)]
    public void AReplayGivesTheSameAlertsAndCountersWithAndWithoutThePrefilter(string rules)
    {
        var real = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        var first = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(first, real);
        // a second file interleaved in event time (the merge orders by the skipped lines' times too), with lines out of order
        var second = Path.Combine(_dir, "auth.log.1");
        File.WriteAllLines(second, real.Where((_, i) => i % 3 == 0).Select(l => l.Replace("LabSZ", "other")).Reverse().Take(200).Concat(Crafted));
        var config = Config(rules);

        var (withAlerts, withCounters, skipped, _) = Replay(config, [first, second], prefilter: true);
        var (withoutAlerts, withoutCounters, none, _) = Replay(config, [first, second], prefilter: false);
        Assert.Equal(0, none);
        Assert.True(skipped > 500, $"only {skipped} lines skipped");
        Assert.True(withoutAlerts.Length > 5, $"only {withoutAlerts.Length} alerts");
        Assert.Equal(withoutAlerts, withAlerts);
        Assert.Equal(withoutCounters, withCounters);
    }

    // Rules that read many fields, the raw line among them, in titles, emitted events and a called list.
    private const string ManyFields = """
          - name: failures-by-host
            type: threshold
            when: event.outcome == "failure" and not source.ip in cidr("10.0.0.0/8")
            group_by: [host.name, source.ip/24]
            count: 3
            within: 10m
            then:
              - alert:
                  title: "{count} failures on {host.name} by {user.name} from {source.address} port {source.port} pid {process.pid}"
                  description: "{message} / {event.original} / {ssh.auth_method} {user.invalid} {source.domain}"
              - emit:
                  user.name: "{user.name}"
                  event.action: summary
              - call: more
          - name: summaries
            when: event.action == "summary"
            group_by: [user.name]
            then:
              - alert: { title: "summary for {user.name} at {log.offset} of {log.file.path}" }
          - name: keys
            list: more
            when: ssh.key exists or event.reason contains "Bye"
            group_by: [process.name]
        """;

    [Theory]
    [InlineData(BruteForce)]
    [InlineData(EveryType)]
    [InlineData(ManyFields)]
    public void AReplayGivesTheSameAlertsAndCountersWithAndWithoutReadingLinesDirectly(string rules)
    {
        var real = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        var first = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(first, real.Concat(Crafted).Append("Mar  4 10:00:01 gate sshd[1]: Failed password for \"q\" from 1.2.3.4 port 22 ssh2"));
        // and a second file merged with it in event time (each file has its readers)
        var second = Path.Combine(_dir, "auth.log.1");
        File.WriteAllLines(second, real.Where((_, i) => i % 3 == 0).Select(l => l.Replace("LabSZ", "other")).Reverse().Take(200));
        var config = Config(rules);

        foreach (var files in new[] { new[] { first }, [first, second] })
        {
            var direct = Replay(config, files, prefilter: true);
            var parsed = Replay(config, files, prefilter: true, direct: false);
            Assert.Equal(0, parsed.Direct);
            Assert.True(direct.Direct > 100, $"only {direct.Direct} lines read directly");
            Assert.True(parsed.Alerts.Length > 5, $"only {parsed.Alerts.Length} alerts");
            Assert.Equal(parsed.Alerts, direct.Alerts);
            Assert.Equal(parsed.Counters, direct.Counters);
            // and without the prefilter, every line is made into an event
            Assert.Equal(parsed.Alerts, Replay(config, files, prefilter: false).Alerts);
        }
    }

    [Fact]
    public void NoDirectReadingWhenSideEffectActionsRun()
    {
        var config = GumshoeConfig.Load(Config(BruteForce.Replace("within: 60s", "within: 60s\n    then:\n      - log: \"brute force from {source.ip}\"")), BuiltInComponents.Create(), _ => null);
        var rules = RuleSet.Compile(config, new MetricsRegistry());
        Assert.NotNull(rules.ReadFields());
        rules.Actions = new DiscardActions();
        Assert.Null(rules.ReadFields());
    }

    private sealed class DiscardActions : Gumshoe.Engine.Actions.IActionSink
    {
        public void Enqueue(Gumshoe.Engine.Actions.IAction action, int index, Gumshoe.Engine.Actions.ActionRequest request) { }
    }

    [Fact]
    public void SkippedLinesStillMoveTheRulesClock()
    {
        // the absence window closes only because of the later lines, all of which the prefilter skips
        var log = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(log,
            ["Mar  4 10:00:00 gate sshd[1]: Invalid user x from 1.2.3.4 port 22",
             .. Enumerable.Range(1, 10).Select(i => $"Mar  4 10:0{i / 2}:{i % 2 * 30:00} gate sshd[1]: Server listening on 0.0.0.0 port 22.")]);
        var config = Config("""
              - name: invalid-without-close
                type: absence
                when: event.action == "ssh_invalid_user"
                expect: event.action == "ssh_preauth_disconnect"
                group_by: [source.ip]
                within: 30s
            """);
        var (with, _, skipped, _) = Replay(config, [log], prefilter: true);
        var (without, _, _, _) = Replay(config, [log], prefilter: false);
        Assert.Equal(10, skipped);
        Assert.Single(without);
        Assert.Equal(without, with);
    }

    [Fact]
    public void NoPrefilterWhenSomethingBesidesRulesSeesEvents()
    {
        var log = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(log, File.ReadLines(SharedData.File("logs/OpenSSH_2k.log")));
        var config = GumshoeConfig.Load(Config(BruteForce), BuiltInComponents.Create(), _ => null);
        var metrics = new MetricsRegistry();
        var pipeline = new EventPipeline(RuleSet.Compile(config, metrics), metrics, NullLogger.Instance);
        using var events = new JsonLinesFile(Path.Combine(_dir, "events.jsonl"));
        pipeline.EventsOut = events;
        var runner = new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, TimeZoneInfo.Utc);
        runner.Run([log]);
        Assert.Equal(0, runner.Skipped);
        Assert.Equal(2000, runner.Events);
    }

    private static (string[] Alerts, string[] Counters, long Skipped, long Direct) Replay(string configPath, string[] files, bool prefilter, bool direct = true)
    {
        var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
        var metrics = new MetricsRegistry();
        var pipeline = new EventPipeline(RuleSet.Compile(config, metrics), metrics, NullLogger.Instance);
        var alertsPath = Path.Combine(Path.GetDirectoryName(files[0])!, $"alerts-{prefilter}-{direct}.jsonl");
        var reference = new DateTimeOffset(2018, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var runner = new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, TimeZoneInfo.Utc) { Prefilter = prefilter, DirectRead = direct, Reference = reference };
        using (var alerts = new JsonLinesFile(alertsPath))
        {
            pipeline.AlertsOut = alerts;
            runner.Run(files);
        }
        var counters = metrics.Snapshot().Select(c => $"{c.Name}{c.Labels} {c.Value}").Append($"events {runner.Events}").ToArray();
        return (File.ReadAllLines(alertsPath), counters, runner.Skipped, runner.DirectLines);
    }
}
