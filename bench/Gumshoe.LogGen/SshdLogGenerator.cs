using System.Globalization;
using System.Text;

namespace Gumshoe.LogGen;

/// <summary>
/// A deterministic generator of realistic OpenSSH auth logs: background noise (accepted logins, sessions,
/// disconnects, scanners), sporadic failures, and brute-force bursts from a pool of attacker addresses, with the
/// wordings of old and new OpenSSH. The same seed always gives the same lines.
/// </summary>
public sealed class SshdLogGenerator
{
    private static readonly string[] Users = ["root", "admin", "test", "oracle", "postgres", "ubuntu", "git", "user", "guest", "support", "ftp", "pi", "deploy", "www-data", "jenkins"];
    private static readonly string[] Real = ["alice", "bob", "carol", "dave", "erin"];
    private static readonly string[] Hosts = ["web1", "db1", "bastion"];
    private ulong _state;
    private DateTime _clock;
    private int _pid = 20000;
    private string? _burstIp;
    private int _burstLeft;

    /// <summary>Creates a generator whose event clock starts at <paramref name="start"/>.</summary>
    public SshdLogGenerator(ulong seed, DateTime start)
    {
        _state = seed * 0x9E3779B97F4A7C15UL + 1;
        _clock = start;
    }

    /// <summary>Mean seconds of event time between lines.</summary>
    public double SecondsPerLine { get; init; } = 0.2;

    private ulong Next()
    {
        // SplitMix64: tiny, fast, identical on every platform
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private int Int(int max) => (int)(Next() % (ulong)max);
    private double Unit() => (Next() >> 11) * (1.0 / (1UL << 53));
    private T Pick<T>(T[] items) => items[Int(items.Length)];

    private string Ip()
    {
        var r = Int(100);
        if (r < 8) return $"2001:db8:{Int(0xffff):x}::{Int(0xffff):x}";
        return $"{1 + Int(222)}.{Int(256)}.{Int(256)}.{1 + Int(254)}";
    }

    /// <summary>The next line, without its newline.</summary>
    public string NextLine()
    {
        _clock = _clock.AddSeconds(SecondsPerLine * -Math.Log(1 - Unit()) * (_burstLeft > 0 ? 0.5 : 1.0));
        var sb = new StringBuilder(120);
        sb.Append(_clock.ToString("MMM", CultureInfo.InvariantCulture)).Append(' ')
          .Append(_clock.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(' ')
          .Append(_clock.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append(' ')
          .Append(Hosts[Int(Hosts.Length)]).Append(" sshd[").Append(_pid + Int(5000)).Append("]: ");
        if (_burstLeft == 0 && Int(100) < 3) { _burstIp = Ip(); _burstLeft = 3 + Int(40); }
        if (_burstLeft > 0 && Int(100) < 70)
        {
            _burstLeft--;
            var user = Pick(Users);
            var port = 1024 + Int(60000);
            switch (Int(10))
            {
                case < 5: sb.Append($"Failed password for {(Int(2) == 0 ? "" : "invalid user ")}{user} from {_burstIp} port {port} ssh2"); break;
                case < 7: sb.Append($"Invalid user {user} from {_burstIp}{(Int(2) == 0 ? "" : $" port {port}")}"); break;
                case 7: sb.Append($"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={_burstIp}  user={user}"); break;
                case 8: sb.Append($"Connection closed by invalid user {user} {_burstIp} port {port} [preauth]"); break;
                default: sb.Append($"Received disconnect from {_burstIp} port {port}:11: Bye Bye [preauth]"); break;
            }
            return sb.ToString();
        }
        var ip = Ip();
        var p = 1024 + Int(60000);
        switch (Int(20))
        {
            case 0: sb.Append($"Failed password for {Pick(Real)} from {ip} port {p} ssh2"); break;
            case 1: sb.Append($"Invalid user {Pick(Users)} from {ip} port {p}"); break;
            case 2: case 3: sb.Append($"Accepted publickey for {Pick(Real)} from {ip} port {p} ssh2: ED25519 SHA256:{Convert.ToBase64String(BitConverter.GetBytes(Next())).TrimEnd('=')}"); break;
            case 4: sb.Append($"Accepted password for {Pick(Real)} from {ip} port {p} ssh2"); break;
            case 5: case 6: sb.Append($"pam_unix(sshd:session): session opened for user {Pick(Real)}(uid=1000) by (uid=0)"); break;
            case 7: case 8: sb.Append($"pam_unix(sshd:session): session closed for user {Pick(Real)}"); break;
            case 9: sb.Append($"Received disconnect from {ip} port {p}:11: disconnected by user"); break;
            case 10: sb.Append($"Disconnected from user {Pick(Real)} {ip} port {p}"); break;
            case 11: sb.Append($"Connection closed by {ip} port {p} [preauth]"); break;
            case 12: sb.Append($"Did not receive identification string from {ip} port {p}"); break;
            case 13: sb.Append($"Unable to negotiate with {ip} port {p}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]"); break;
            case 14: sb.Append($"error: maximum authentication attempts exceeded for root from {ip} port {p} ssh2 [preauth]"); break;
            case 15: sb.Append($"Failed publickey for {Pick(Real)} from {ip} port {p} ssh2: RSA SHA256:abc"); break;
            case 16: sb.Append($"Connection from {ip} port {p} on 10.0.0.5 port 22 rdomain \"\""); break;
            case 17: sb.Append($"reverse mapping checking getaddrinfo for host-{Int(999)}.example.net [{ip}] failed - POSSIBLE BREAK-IN ATTEMPT!"); break;
            case 18: sb.Append($"Postponed publickey for {Pick(Real)} from {ip} port {p} ssh2 [preauth]"); break;
            default: sb.Append($"Server listening on 0.0.0.0 port 22."); break;
        }
        return sb.ToString();
    }
}
