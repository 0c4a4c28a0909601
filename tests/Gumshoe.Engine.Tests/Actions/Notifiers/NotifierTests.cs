using System.Net;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Actions.Notifiers;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Tests.Actions.Notifiers.Fakes;
using Gumshoe.Engine.Tests.Inputs;
using MimeKit;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Tests.Actions.Notifiers;

public sealed class NotifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-notify-").FullName;
    private readonly WebhookSink _sink = new();

    public void Dispose()
    {
        _sink.Dispose();
        Directory.Delete(_dir, true);
    }

    private string DeadLetters => Path.Combine(_dir, "dead-letters.jsonl");

    private DeliveryOptions Delivery(int attempts = 4) => new() { MaxAttempts = attempts, RetryBase = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(5), DeadLetterPath = DeadLetters };

    private static ActionRequest Request(string user = "alice.nguyen@example.com")
    {
        var e = new Event { Timestamp = DateTimeOffset.Parse("2026-11-20T08:36:30.42Z") };
        e.Set(Ecs.UserEmail, user);
        e.Set(Ecs.SourceIp, FieldValue.Ip(IPAddress.Parse("175.16.199.24")));
        e.Set("source.geo.city_name", "Changchun");
        e.Set("source.geo.country_iso_code", "CN");
        e.Set(Ecs.EventProvider, "okta");
        e.Set(Ecs.EventAction, "user.session.start");
        e.Set(Ecs.EventOutcome, "success");
        var values = new Dictionary<string, string> { ["rule"] = "impossible-travel", ["count"] = "1" };
        return new ActionRequest("impossible-travel|alice|1795163790", "impossible-travel", null, e, values);
    }

    private static ConfigNode Node(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new ConfigNode(stream.Documents[0].RootNode, "test.yml", Path.GetTempPath(), _ => null);
    }

    [Fact]
    public async Task Slack_posts_block_kit_with_who_what_where_and_the_entity_link_and_waits_out_a_429()
    {
        _sink.Answer(429, "", retryAfter: 1);
        var slack = (SlackNotifier)SlackNotifier.Create(Node($"""
            token: xoxb-test
            channel: "#security"
            api_url: {_sink.Url}/api
            web_url: https://gumshoe.example.com
            dead_letter: {DeadLetters}
            retry_base: 10ms
            """), new ComponentContext { Registry = BuiltInComponents.Create() });
        var started = DateTime.UtcNow;

        await slack.ExecuteAsync(Request(), CancellationToken.None);

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the Retry-After of the 429 was not honoured");
        var posts = _sink.Requests.ToList();
        Assert.Equal(2, posts.Count);
        var post = posts[1];
        Assert.Equal("/api/chat.postMessage", post.Path);
        Assert.Equal("Bearer xoxb-test", post.Authorization);
        var body = JsonNode.Parse(post.Body)!;
        Assert.Equal("#security", (string)body["channel"]!);
        var text = body["blocks"]!.ToJsonString();
        Assert.Contains("alice.nguyen@example.com", text);
        Assert.Contains("okta user.session.start success", text);
        Assert.Contains("175.16.199.24 (Changchun, CN)", text);
        Assert.Contains("https://gumshoe.example.com/entities/user/alice.nguyen%40example.com", text);
        Assert.Contains("https://gumshoe.example.com/entities/ip/175.16.199.24", text);
        Assert.False(File.Exists(DeadLetters));
    }

    [Fact]
    public async Task A_slack_incoming_webhook_gets_the_whole_message_with_the_templated_text_and_no_token_or_channel()
    {
        var slack = (SlackNotifier)SlackNotifier.Create(Node($$"""
            webhook_url: {{_sink.Url}}/services/T000/B000/XXXX
            web_url: https://gumshoe.example.com/
            text: "Unusual sign-in for {user.email} from {source.geo.country_iso_code} ({rule})"
            dead_letter: {{DeadLetters}}
            """), new ComponentContext { Registry = BuiltInComponents.Create() });

        await slack.ExecuteAsync(Request(), CancellationToken.None);

        var post = _sink.Requests.Single();
        Assert.Equal("/services/T000/B000/XXXX", post.Path);
        Assert.Null(post.Authorization);
        var body = JsonNode.Parse(post.Body)!.AsObject();
        Assert.False(body.ContainsKey("channel")); // an incoming webhook posts to the channel it was made for
        Assert.Equal("Unusual sign-in for alice.nguyen@example.com from CN (impossible-travel)", (string)body["text"]!);
        var blocks = body["blocks"]!.AsArray();
        Assert.Equal(["header", "section", "section", "actions"], blocks.Select(b => (string)b!["type"]!));
        var fields = blocks[1]!["fields"]!.AsArray().Select(f => (string)f!["text"]!).ToList();
        Assert.Equal("*Who*\nalice.nguyen@example.com", fields[0]);
        Assert.Contains("okta user.session.start success", fields[1]);
        Assert.Equal("*From where*\n175.16.199.24 (Changchun, CN)", fields[2]);
        Assert.StartsWith("*When*\n2026-11-20", fields[3]);
        Assert.Equal("Unusual sign-in for alice.nguyen@example.com from CN (impossible-travel)", (string)blocks[2]!["text"]!["text"]!);
        Assert.Equal(["https://gumshoe.example.com/entities/user/alice.nguyen%40example.com", "https://gumshoe.example.com/entities/ip/175.16.199.24"],
            blocks[3]!["elements"]!.AsArray().Select(b => (string)b!["url"]!));
    }

    [Fact]
    public async Task Slack_escapes_event_data_so_it_cannot_mention_the_channel()
    {
        var slack = new SlackNotifier(new Uri(_sink.Url + "/hook"), new Uri("https://slack.com/api"), null, null, null, null, Delivery());

        await slack.ExecuteAsync(Request("<!channel>@example.com"), CancellationToken.None);

        var who = (string)JsonNode.Parse(_sink.Requests.Single().Body)!["blocks"]![1]!["fields"]![0]!["text"]!;
        Assert.Equal("*Who*\n&lt;!channel&gt;@example.com", who);
    }

    [Fact]
    public async Task A_notification_that_keeps_failing_is_dead_lettered_once_without_the_webhook_secret()
    {
        for (var i = 0; i < 3; i++) _sink.Answer(500, "oops");
        var slack = new SlackNotifier(new Uri(_sink.Url + "/services/T000/B000/secret-part"), new Uri("https://slack.com/api"), null, null, null, null, Delivery(attempts: 3));

        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => slack.ExecuteAsync(Request(), CancellationToken.None));

        Assert.False(ex.Retryable);
        Assert.Equal(3, _sink.Requests.Count);
        var line = Assert.Single(File.ReadAllLines(DeadLetters));
        var record = JsonNode.Parse(line)!;
        Assert.Equal("slack", (string)record["type"]!);
        Assert.Equal("impossible-travel|alice|1795163790", (string)record["key"]!);
        Assert.Equal(3, (int)record["attempts"]!);
        Assert.DoesNotContain("secret-part", line);
    }

    [Fact]
    public async Task A_rejected_slack_token_is_not_retried()
    {
        _sink.Answer(200, "{\"ok\":false,\"error\":\"invalid_auth\"}");
        var slack = new SlackNotifier(null, new Uri(_sink.Url + "/api"), "xoxb-bad", "#sec", null, null, Delivery());

        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => slack.ExecuteAsync(Request(), CancellationToken.None));

        Assert.Contains("invalid_auth", ex.Message);
        Assert.Single(_sink.Requests);
        Assert.Single(File.ReadAllLines(DeadLetters));
    }

    [Fact]
    public async Task Teams_fills_the_body_template_with_json_escaped_values()
    {
        var teams = TeamsNotifier.Create(Node($"""
            url: {_sink.Url}/webhook
            web_url: https://gumshoe.example.com
            dead_letter: {DeadLetters}
            body:
              text: "{"{"}rule{"}"}: {"{"}who{"}"} from {"{"}where{"}"}"
              link: "{"{"}link{"}"}"
              user: "{"{"}user.email{"}"}"
            """), new ComponentContext { Registry = BuiltInComponents.Create() });

        await teams.ExecuteAsync(Request("eve\"}, \"x\": \"@example.com"), CancellationToken.None);

        var body = JsonNode.Parse(_sink.Requests.Single().Body)!.AsObject();
        Assert.Equal(["text", "link", "user"], body.Select(kv => kv.Key));
        Assert.Equal("impossible-travel: eve\"}, \"x\": \"@example.com from 175.16.199.24 (Changchun, CN)", (string)body["text"]!);
        Assert.StartsWith("https://gumshoe.example.com/entities/user/", (string)body["link"]!);
    }

    [Fact]
    public async Task Teams_sends_an_adaptive_card_by_default_and_retries_a_server_error()
    {
        _sink.Answer(503);
        var teams = new TeamsNotifier(new Uri(_sink.Url + "/webhook"), null, null, Delivery());

        await teams.ExecuteAsync(Request(), CancellationToken.None);

        Assert.Equal(2, _sink.Requests.Count);
        var card = JsonNode.Parse(_sink.Requests.Last().Body)!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string)card["attachments"]![0]!["contentType"]!);
        Assert.Contains("alice.nguyen@example.com", card.ToJsonString());
    }

    [Fact]
    public async Task Email_goes_over_starttls_with_the_templated_subject_and_body()
    {
        var certPath = Path.Combine(_dir, "sink.pem");
        using var cert = SelfSignedCertificate.WritePem(certPath, Path.Combine(_dir, "sink.key"));
        using var smtp = new SmtpSink(cert);
        smtp.RefuseNextData("451 4.3.0 try again later");
        var email = (EmailNotifier)EmailNotifier.Create(Node($"""
            smtp_host: 127.0.0.1
            smtp_port: {smtp.Port}
            ca_file: {certPath}
            username: gumshoe
            password: s3cret
            from: Gumshoe <gumshoe@example.com>
            to: [soc@example.com, helpdesk@example.com]
            subject: "[gumshoe] {"{"}rule{"}"} for {"{"}user.email{"}"}"
            web_url: https://gumshoe.example.com
            dead_letter: {DeadLetters}
            retry_base: 10ms
            """), new ComponentContext { Registry = BuiltInComponents.Create() });

        await email.ExecuteAsync(Request(), CancellationToken.None);

        var message = Assert.Single(smtp.Messages);
        Assert.True(message.Tls);
        Assert.Equal("\0gumshoe\0s3cret", message.Auth);
        Assert.Equal(["<soc@example.com>", "<helpdesk@example.com>"], message.To);
        Assert.Equal(2, smtp.DataCommands);
        var mime = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(message.Data.Replace("\n", "\r\n"))));
        Assert.Equal("[gumshoe] impossible-travel for alice.nguyen@example.com", mime.Subject);
        Assert.Contains("From where: 175.16.199.24 (Changchun, CN)", mime.TextBody);
        Assert.Contains("https://gumshoe.example.com/entities/user/alice.nguyen%40example.com", mime.TextBody);
    }

    [Fact]
    public async Task Email_refused_for_good_is_dead_lettered_after_one_try()
    {
        var certPath = Path.Combine(_dir, "sink.pem");
        using var cert = SelfSignedCertificate.WritePem(certPath, Path.Combine(_dir, "sink.key"));
        using var smtp = new SmtpSink(cert);
        smtp.RefuseNextData("550 5.7.1 relaying denied");
        var email = new EmailNotifier(new SmtpSettings { Host = "127.0.0.1", Port = smtp.Port, CaFile = certPath },
            MailboxAddress.Parse("gumshoe@example.com"), [MailboxAddress.Parse("soc@example.com")], new Template("{rule}"), new Template("{summary}"), null, Delivery());

        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => email.ExecuteAsync(Request(), CancellationToken.None));

        Assert.Contains("550", ex.Message);
        Assert.Equal(1, smtp.DataCommands);
        Assert.Empty(smtp.Messages);
        Assert.Contains("\"type\":\"email\"", Assert.Single(File.ReadAllLines(DeadLetters)));
    }

    [Fact]
    public void Notifiers_are_registered_as_actions()
    {
        var registry = BuiltInComponents.Create();
        Assert.True(registry.HasAction("slack"));
        Assert.True(registry.HasAction("teams"));
        Assert.True(registry.HasAction("email"));
    }
}
