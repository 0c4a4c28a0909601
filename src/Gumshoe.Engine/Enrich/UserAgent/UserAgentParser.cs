using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Enrich.UserAgent;

/// <summary>A browser or client (<c>Chrome 131.0.0</c>) or operating system (<c>Windows 10</c>) with its version parts.</summary>
public sealed record UserAgentPart(string Family, string? Major, string? Minor, string? Patch, string? PatchMinor)
{
    /// <summary>The version parts present, joined with dots (<c>131.0.6778</c>), or null.</summary>
    public string? Version =>
        Major is null ? null
        : Minor is null ? Major
        : Patch is null ? Major + "." + Minor
        : PatchMinor is null ? Major + "." + Minor + "." + Patch
        : Major + "." + Minor + "." + Patch + "." + PatchMinor;
}

/// <summary>A device family (<c>iPhone</c>, <c>Spider</c>, <c>Other</c>) with brand and model when known.</summary>
public sealed record UserAgentDevice(string Family, string? Brand, string? Model);

/// <summary>What a user-agent string says: client, operating system and device.</summary>
public sealed record UserAgentInfo(UserAgentPart Client, UserAgentPart Os, UserAgentDevice Device);

/// <summary>
/// A user-agent parser driven by uap-core's <c>regexes.yaml</c> (Apache-2.0, shipped as an embedded resource with its
/// licence). It follows the uap-core specification: each list is tried top-down and the first match wins; matches are
/// unanchored and case-sensitive unless <c>regex_flag: 'i'</c>; capture groups give family and version parts unless a
/// <c>*_replacement</c> overrides them, and a replacement may refer to groups as <c>$1</c>…<c>$9</c>; an empty result
/// is absent; no match means family <c>Other</c>.
/// </summary>
/// <remarks>
/// The patterns are the project's own data, not user input, but several rely on backtracking, so each runs with a
/// match timeout; a timed-out pattern counts as not matching (and is counted in <see cref="Timeouts"/>). Thread-safe.
/// </remarks>
public sealed class UserAgentParser
{
    private static readonly Lazy<UserAgentParser> Embedded = new(() =>
    {
        using var stream = typeof(UserAgentParser).Assembly.GetManifestResourceStream("Gumshoe.Engine.Enrich.UserAgent.regexes.yaml")
            ?? throw new InvalidOperationException("the uap-core regexes.yaml resource is missing from the engine assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Load(reader);
    });

    private readonly VersionedRule[] _clients;
    private readonly VersionedRule[] _os;
    private readonly DeviceRule[] _devices;
    private long _timeouts;

    private UserAgentParser(VersionedRule[] clients, VersionedRule[] os, DeviceRule[] devices)
    {
        _clients = clients;
        _os = os;
        _devices = devices;
    }

    /// <summary>The parser built from the uap-core <c>regexes.yaml</c> embedded in the engine (loaded once).</summary>
    public static UserAgentParser Default => Embedded.Value;

    /// <summary>The uap-core licence text shipped with the embedded regexes.</summary>
    public static string License()
    {
        using var stream = typeof(UserAgentParser).Assembly.GetManifestResourceStream("Gumshoe.Engine.Enrich.UserAgent.LICENSE-uap-core")!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>How long one pattern may run on one string before it is abandoned.</summary>
    public static TimeSpan MatchTimeout { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Number of pattern runs abandoned at <see cref="MatchTimeout"/> so far.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Builds a parser from a <c>regexes.yaml</c> in the uap-core format.</summary>
    /// <exception cref="FormatException">The file is not in that format or holds an invalid pattern.</exception>
    public static UserAgentParser Load(TextReader yaml)
    {
        var stream = new YamlStream();
        try { stream.Load(yaml); }
        catch (YamlDotNet.Core.YamlException ex) { throw new FormatException($"regexes.yaml: invalid YAML at line {ex.Start.Line}: {ex.Message}", ex); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException("regexes.yaml: expected a mapping with user_agent_parsers, os_parsers and device_parsers");
        return new UserAgentParser(
            Rules(root, "user_agent_parsers").Select(r => new VersionedRule(Compile(r), Get(r, "family_replacement"),
                Get(r, "v1_replacement"), Get(r, "v2_replacement"), Get(r, "v3_replacement"), Get(r, "v4_replacement"))).ToArray(),
            Rules(root, "os_parsers").Select(r => new VersionedRule(Compile(r), Get(r, "os_replacement"),
                Get(r, "os_v1_replacement"), Get(r, "os_v2_replacement"), Get(r, "os_v3_replacement"), Get(r, "os_v4_replacement"))).ToArray(),
            Rules(root, "device_parsers").Select(r => new DeviceRule(Compile(r), Get(r, "device_replacement"),
                Get(r, "brand_replacement"), Get(r, "model_replacement"))).ToArray());
    }

    private static IEnumerable<YamlMappingNode> Rules(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(new YamlScalarNode(key), out var list) && list is YamlSequenceNode seq
            ? seq.Children.Select(n => n as YamlMappingNode ?? throw new FormatException($"regexes.yaml line {n.Start.Line}: expected a mapping"))
            : throw new FormatException($"regexes.yaml: missing list '{key}'");

    private static string? Get(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static Regex Compile(YamlMappingNode rule)
    {
        var pattern = Get(rule, "regex") ?? throw new FormatException($"regexes.yaml line {rule.Start.Line}: rule without regex");
        var options = RegexOptions.CultureInvariant | RegexOptions.Compiled;
        if (Get(rule, "regex_flag") == "i") options |= RegexOptions.IgnoreCase;
        try { return new Regex(pattern, options, MatchTimeout); }
        catch (ArgumentException ex) { throw new FormatException($"regexes.yaml line {rule.Start.Line}: invalid pattern: {ex.Message}", ex); }
    }

    /// <summary>Parses client, OS and device.</summary>
    public UserAgentInfo Parse(string userAgent) => new(ParseClient(userAgent), ParseOs(userAgent), ParseDevice(userAgent));

    /// <summary>The browser or client.</summary>
    public UserAgentPart ParseClient(string userAgent) => ParseVersioned(_clients, userAgent);

    /// <summary>The operating system.</summary>
    public UserAgentPart ParseOs(string userAgent) => ParseVersioned(_os, userAgent);

    private UserAgentPart ParseVersioned(VersionedRule[] rules, string userAgent)
    {
        foreach (var rule in rules)
        {
            if (TryMatch(rule.Regex, userAgent) is not { } m) continue;
            return new UserAgentPart(
                Value(rule.Family, m, 1) ?? Other,
                Value(rule.V1, m, 2), Value(rule.V2, m, 3), Value(rule.V3, m, 4), Value(rule.V4, m, 5));
        }
        return new UserAgentPart(Other, null, null, null, null);
    }

    /// <summary>The device.</summary>
    public UserAgentDevice ParseDevice(string userAgent)
    {
        foreach (var rule in _devices)
        {
            if (TryMatch(rule.Regex, userAgent) is not { } m) continue;
            return new UserAgentDevice(Value(rule.Family, m, 1) ?? Other, Value(rule.Brand, m, 0), Value(rule.Model, m, 1));
        }
        return new UserAgentDevice(Other, null, null);
    }

    private const string Other = "Other";

    private Match? TryMatch(Regex regex, string input)
    {
        // The timeout is wall-clock time, so a thread descheduled on a busy machine can hit it on an innocent
        // pattern: one retry tells that apart from a pattern that is really slow on this input.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var m = regex.Match(input);
                return m.Success ? m : null;
            }
            catch (RegexMatchTimeoutException) when (attempt == 0) { }
            catch (RegexMatchTimeoutException)
            {
                Interlocked.Increment(ref _timeouts);
                return null;
            }
        }
    }

    // A replacement with $N takes the groups; without a replacement, group `group` (0 = none). Trimmed; empty = absent.
    private static string? Value(string? replacement, Match m, int group)
    {
        string? value;
        if (replacement is not null)
        {
            value = replacement.Contains('$') ? Substitute(replacement, m) : replacement;
        }
        else if (group > 0 && group < m.Groups.Count && m.Groups[group].Success) value = m.Groups[group].Value;
        else value = null;
        value = value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string Substitute(string replacement, Match m)
    {
        var sb = new StringBuilder(replacement.Length + 16);
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '$' && i + 1 < replacement.Length && replacement[i + 1] is >= '1' and <= '9')
            {
                var g = replacement[++i] - '0';
                if (g < m.Groups.Count && m.Groups[g].Success) sb.Append(m.Groups[g].Value);
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private sealed record VersionedRule(Regex Regex, string? Family, string? V1, string? V2, string? V3, string? V4);
    private sealed record DeviceRule(Regex Regex, string? Family, string? Brand, string? Model);
}
