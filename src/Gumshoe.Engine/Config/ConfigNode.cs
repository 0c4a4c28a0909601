using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Config;

/// <summary>
/// A located YAML node with strict, typed accessors. Every key read is remembered so that
/// <see cref="EnsureNoUnknownKeys"/> can reject the ones nobody asked for, with their position.
/// </summary>
public sealed partial class ConfigNode
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly Func<string, string?> _env;

    internal ConfigNode(YamlNode node, string file, string baseDir, Func<string, string?> env)
    {
        Node = node;
        File = file;
        BaseDirectory = baseDir;
        _env = env;
    }

    /// <summary>The underlying YAML node.</summary>
    public YamlNode Node { get; }
    /// <summary>The file this node was read from.</summary>
    public string File { get; }
    /// <summary>The folder relative paths in this file resolve against.</summary>
    public string BaseDirectory { get; }
    public long Line => Node.Start.Line;
    public long Column => Node.Start.Column;

    public bool IsMapping => Node is YamlMappingNode;
    public bool IsSequence => Node is YamlSequenceNode;
    public bool IsScalar => Node is YamlScalarNode;
    public bool IsNull => Node is YamlScalarNode s && s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null");

    /// <summary>An error located at this node.</summary>
    public ConfigException Error(string problem) => new(File, Line, Column, problem);

    private ConfigNode Wrap(YamlNode n) => new(n, File, BaseDirectory, _env);

    /// <summary>Keys and values of a mapping, in file order; each key counts as used.</summary>
    public IEnumerable<(string Key, ConfigNode Value)> Entries
    {
        get
        {
            var map = Node as YamlMappingNode ?? throw Error("expected a mapping (key: value)");
            foreach (var (k, v) in map.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                _used.Add(key);
                yield return (key, Wrap(v));
            }
        }
    }

    /// <summary>Items of a sequence; a single scalar or mapping counts as a one-item sequence.</summary>
    public IEnumerable<ConfigNode> Items =>
        Node is YamlSequenceNode seq ? seq.Children.Select(Wrap) : IsNull ? [] : [this];

    /// <summary>Whether a mapping holds the key (does not mark it used).</summary>
    public bool Has(string key) => Node is YamlMappingNode m && m.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>The value at a key, or null when absent or when this is no mapping; does not mark the key used.</summary>
    public ConfigNode? Peek(string key) =>
        Node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? Wrap(v) : null;

    /// <summary>The value at a key, or null when absent. Marks the key used.</summary>
    public ConfigNode? Get(string key)
    {
        if (Node is not YamlMappingNode map) throw Error($"expected a mapping with '{key}'");
        _used.Add(key);
        return map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? Wrap(v) : null;
    }

    /// <summary>The value at a key, or an error naming the missing key.</summary>
    public ConfigNode Required(string key) => Get(key) ?? throw Error($"missing required key '{key}'");

    /// <summary>This scalar's text with <c>${VAR}</c>, <c>${VAR:-default}</c> and <c>${file:PATH}</c> substituted.</summary>
    public string AsString()
    {
        if (Node is not YamlScalarNode s) throw Error("expected a single value, not a list or mapping");
        var raw = s.Value ?? "";
        return raw.Contains("${", StringComparison.Ordinal) ? Substitute(raw) : raw;
    }

    public int AsInt(int min = int.MinValue, int max = int.MaxValue)
    {
        var text = AsString();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) throw Error($"expected an integer, got '{text}'");
        if (v < min || v > max) throw Error($"{v} is out of range [{min}, {max}]");
        return v;
    }

    public double AsDouble()
    {
        var text = AsString();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Error($"expected a number, got '{text}'");
    }

    public bool AsBool()
    {
        var text = AsString();
        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error($"expected true or false, got '{text}'"),
        };
    }

    /// <summary>A duration such as <c>60s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>, <c>250ms</c> or a plain number of seconds.</summary>
    public TimeSpan AsDuration()
    {
        var text = AsString();
        return Duration.TryParse(text, out var d) ? d : throw Error($"expected a duration like 60s, 5m, 1h or 250ms, got '{text}'");
    }

    /// <summary>A path resolved against the config file's folder.</summary>
    public string AsPath() => System.IO.Path.GetFullPath(AsString(), BaseDirectory);

    /// <summary>One of the given words.</summary>
    public string AsEnum(params string[] allowed)
    {
        var text = AsString();
        return allowed.Contains(text, StringComparer.OrdinalIgnoreCase) ? text.ToLowerInvariant() : throw Error($"expected one of {string.Join(", ", allowed)}, got '{text}'");
    }

    public List<string> AsStringList() => Items.Select(i => i.AsString()).ToList();

    public string? String(string key) => Get(key) is { IsNull: false } n ? n.AsString() : null;
    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue) => Get(key) is { IsNull: false } n ? n.AsInt(min, max) : null;
    public bool? Bool(string key) => Get(key) is { IsNull: false } n ? n.AsBool() : null;
    public TimeSpan? DurationAt(string key) => Get(key) is { IsNull: false } n ? n.AsDuration() : null;
    public List<string>? StringList(string key) => Get(key) is { IsNull: false } n ? n.AsStringList() : null;

    /// <summary>Rejects keys of this mapping that no reader asked for.</summary>
    public void EnsureNoUnknownKeys(string what)
    {
        if (Node is not YamlMappingNode map) return;
        foreach (var (k, _) in map.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (!_used.Contains(key))
            {
                var known = _used.Count > 0 ? $" (known keys: {string.Join(", ", _used.Order(StringComparer.Ordinal))})" : "";
                throw new ConfigException(File, k.Start.Line, k.Start.Column, $"unknown key '{key}' in {what}{known}");
            }
        }
    }

    private string Substitute(string raw)
    {
        var sb = new StringBuilder();
        var last = 0;
        foreach (Match m in Placeholder().Matches(raw))
        {
            sb.Append(raw, last, m.Index - last);
            last = m.Index + m.Length;
            var body = m.Groups[1].Value;
            if (body.StartsWith("file:", StringComparison.Ordinal))
            {
                var path = System.IO.Path.GetFullPath(body[5..], BaseDirectory);
                try { sb.Append(System.IO.File.ReadAllText(path).TrimEnd('\r', '\n')); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw Error($"cannot read secret file '{path}': {ex.Message}");
                }
                continue;
            }
            var sep = body.IndexOf(":-", StringComparison.Ordinal);
            var name = sep >= 0 ? body[..sep] : body;
            var value = _env(name);
            if (string.IsNullOrEmpty(value))
            {
                if (sep < 0) throw Error($"environment variable '{name}' is not set");
                value = body[(sep + 2)..];
            }
            sb.Append(value);
        }
        sb.Append(raw, last, raw.Length - last);
        return sb.ToString();
    }

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex Placeholder();
}
