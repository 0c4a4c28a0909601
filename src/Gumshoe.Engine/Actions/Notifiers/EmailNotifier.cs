using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Gumshoe.Engine.Actions.Notifiers;

/// <summary>Where and how e-mail is sent.</summary>
public sealed record SmtpSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 587;
    /// <summary><c>starttls</c> (default: required), <c>tls</c> (implicit, port 465) or <c>none</c> (only for a local relay).</summary>
    public string Security { get; init; } = "starttls";
    public string? Username { get; init; }
    public string? Password { get; init; }
    /// <summary>A PEM certificate to trust for the server (a private CA or a self-signed relay); otherwise the system store.</summary>
    public string? CaFile { get; init; }
}

/// <summary>
/// Sends an e-mail over SMTP with MailKit (<c>- email: {to: …}</c>): STARTTLS required by default, optional
/// authentication, templated subject and body (<c>{user.email}</c>, <c>{who}</c>, <c>{what}</c>, <c>{where}</c>,
/// <c>{link}</c> …). Temporary SMTP errors (4xx, connection problems) are retried; what finally fails is dead-lettered.
/// </summary>
public sealed class EmailNotifier(SmtpSettings smtp, MailboxAddress from, IReadOnlyList<MailboxAddress> to, Template subject, Template body, string? webUrl, DeliveryOptions delivery) : IAction
{
    private readonly NotificationDelivery _delivery = new("email", delivery);
    private readonly X509Certificate2? _ca = smtp.CaFile is null ? null : X509CertificateLoader.LoadCertificateFromFile(smtp.CaFile);

    public string Type => "email";

    public NotificationDelivery Delivery => _delivery;

    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var smtp = new SmtpSettings
        {
            Host = node.Required("smtp_host").AsString(),
            Port = node.Int("smtp_port", 1, 65535) ?? 587,
            Security = node.Get("security") is { IsNull: false } s ? s.AsEnum("starttls", "tls", "none") : "starttls",
            Username = node.String("username"),
            Password = node.String("password"),
            CaFile = node.Get("ca_file") is { IsNull: false } ca ? ca.AsPath() : null,
        };
        if (smtp.CaFile is not null && !File.Exists(smtp.CaFile)) throw node.Get("ca_file")!.Error($"no such file: {smtp.CaFile}");
        var from = Address(node.Required("from"));
        var to = node.Required("to").Items.Select(Address).ToList();
        if (to.Count == 0) throw node.Get("to")!.Error("'to' lists no address");
        var subject = new Template(node.String("subject") ?? "[gumshoe] {title}: {who}");
        var body = new Template(node.String("body") ?? "{title}\n\nWho: {who}\nWhat happened: {what}\nFrom where: {where}\nWhen: {when}\n\n{link}\n");
        return new EmailNotifier(smtp, from, to, subject, body, node.String("web_url"), DeliveryOptions.Read(node));
    }

    private static MailboxAddress Address(ConfigNode n)
    {
        var text = n.AsString();
        return MailboxAddress.TryParse(text, out var a) && a.Address.Contains('@') ? a : throw n.Error($"'{text}' is not an e-mail address");
    }

    /// <summary>The message for a request.</summary>
    public MimeMessage Message(ActionRequest request)
    {
        var c = NotificationContent.From(request, webUrl);
        var values = new Dictionary<string, string>(request.Values, StringComparer.Ordinal)
        {
            ["title"] = c.Title, ["who"] = c.Who, ["what"] = c.What, ["where"] = c.Where, ["when"] = c.When,
            ["link"] = c.UserLink ?? c.IpLink ?? "", ["summary"] = c.Summary,
        };
        values.TryAdd("rule", request.Rule);
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.AddRange(to);
        // a header cannot hold a line break: event data is kept on one line
        message.Subject = subject.Render(request.Event, values).ReplaceLineEndings(" ");
        message.Body = new TextPart("plain") { Text = body.Render(request.Event, values) };
        // the same request always yields the same Message-Id, so a retried send is recognisable downstream
        message.MessageId = $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(request.Key)))[..32]}@gumshoe";
        return message;
    }

    public Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var message = Message(request);
        return _delivery.SendAsync(request, $"smtp {smtp.Host}:{smtp.Port}", ct => SendAsync(message, ct), cancellationToken);
    }

    private async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        using var client = new SmtpClient();
        if (_ca is not null) client.ServerCertificateValidationCallback = Trusts;
        var options = smtp.Security switch { "tls" => SecureSocketOptions.SslOnConnect, "none" => SecureSocketOptions.None, _ => SecureSocketOptions.StartTls };
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, options, ct);
            if (smtp.Username is not null) await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(true, ct);
        }
        catch (SmtpCommandException ex)
        {
            // 4xx is temporary (greylisting, a full queue); 5xx is final
            throw new ActionFailedException($"SMTP {(int)ex.StatusCode}: {ex.Message}", retryable: (int)ex.StatusCode < 500, inner: ex);
        }
        catch (AuthenticationException ex) { throw new ActionFailedException($"SMTP login failed: {ex.Message}", retryable: false, inner: ex); }
        catch (Exception ex) when (ex is SocketException or IOException or SmtpProtocolException or SslHandshakeException or ServiceNotConnectedException)
        {
            throw new ActionFailedException($"SMTP {smtp.Host}:{smtp.Port}: {ex.Message}", retryable: true, inner: ex);
        }
    }

    private bool Trusts(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_ca!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(certificate));
    }
}
