using Gumshoe.Engine.Config;
using Gumshoe.Engine.Enrich.UserAgent;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// <c>user_agent:</c> parses <c>user_agent.original</c> with uap-core's rules into the ECS fields
/// <c>user_agent.name</c>, <c>.version</c>, <c>.os.name</c>, <c>.os.version</c>, <c>.os.full</c> and
/// <c>.device.name</c>; results are cached per distinct string (bounded LRU).
/// </summary>
public sealed class UserAgentEnricher : IEnricher
{
    private static readonly string[] Suffixes = ["name", "version", "os.name", "os.version", "os.full", "device.name"];

    private readonly UserAgentParser _parser;
    private readonly string _field;
    private readonly string[] _names;
    private readonly int _maxLength;
    private readonly BoundedCache<string, FieldValue[]> _cache;
    private readonly EnricherCounters _counters = new("user_agent");
    private Counter _parsed = null!, _cached = null!, _missing = null!, _truncated = null!;

    public string Name => "user_agent";

    public UserAgentEnricher(UserAgentParser parser, string field = "user_agent.original", string target = "user_agent", int cacheSize = 10_000, int maxLength = 4096)
    {
        _parser = parser;
        _field = field;
        _names = Suffixes.Select(s => target + "." + s).ToArray();
        _maxLength = maxLength;
        _cache = new BoundedCache<string, FieldValue[]>(cacheSize, StringComparer.Ordinal);
        BindCounters();
    }

    /// <summary>Reads <c>user_agent: {field, target, cache_size, max_length, regexes}</c>.</summary>
    public static IEnricher Create(ConfigNode node, ComponentContext context)
    {
        var field = node.IsNull ? "user_agent.original" : node.String("field") ?? "user_agent.original";
        var target = node.IsNull ? null : node.String("target");
        target ??= field.EndsWith(".original", StringComparison.Ordinal) ? field[..^".original".Length]
            : throw node.Error($"'{field}' does not end in .original; say where results go with target: (e.g. target: user_agent)");
        var cacheSize = node.IsNull ? null : node.Int("cache_size", 1, 10_000_000);
        var maxLength = node.IsNull ? null : node.Int("max_length", 64, 1 << 20);
        var parser = UserAgentParser.Default;
        if (!node.IsNull && node.Get("regexes") is { IsNull: false } path)
        {
            // a newer uap-core release than the embedded one
            try
            {
                using var reader = new StreamReader(path.AsPath());
                parser = UserAgentParser.Load(reader);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                throw path.Error(ex.Message);
            }
        }
        return new UserAgentEnricher(parser, field, target, cacheSize ?? 10_000, maxLength ?? 4096);
    }

    public void Attach(MetricsRegistry metrics, ILogger logger)
    {
        _counters.Attach(metrics);
        BindCounters();
    }

    private void BindCounters()
    {
        _parsed = _counters.Outcome("parsed");
        _cached = _counters.Outcome("cached");
        _missing = _counters.Outcome("no_user_agent");
        _truncated = _counters.Outcome("truncated");
    }

    public void Enrich(Event e)
    {
        var ua = e.GetString(_field);
        if (string.IsNullOrWhiteSpace(ua)) { _missing.Add(); return; }
        if (_cache.TryGet(ua, out var values)) _cached.Add();
        else
        {
            values = Parse(ua);
            _cache.Set(ua, values);
            _parsed.Add();
        }
        for (var i = 0; i < values.Length; i++)
            if (!values[i].IsNull) e.Set(_names[i], values[i]);
    }

    private FieldValue[] Parse(string ua)
    {
        // very long strings are cut: every rule scans the string, and no real client needs kilobytes to say who it is
        if (ua.Length > _maxLength) { ua = ua[.._maxLength]; _truncated.Add(); }
        var info = _parser.Parse(ua);
        static FieldValue Str(string? s) => s is null ? FieldValue.Null : FieldValue.String(s);
        var osVersion = info.Os.Version;
        return
        [
            Str(info.Client.Family),
            Str(info.Client.Version),
            Str(info.Os.Family),
            Str(osVersion),
            Str(osVersion is null ? info.Os.Family : info.Os.Family + " " + osVersion),
            Str(info.Device.Family),
        ];
    }
}
