using System.Globalization;
using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>The type a parser converts an extracted text field to (<c>types: {source.port: int}</c>).</summary>
public enum FieldType : byte { String, Long, Double, Bool, Ip }

/// <summary>Converts extracted text into typed field values: configured types and the automatic IP fields.</summary>
public static class FieldTypes
{
    /// <summary>ECS fields whose values become IP addresses whenever they parse as one.</summary>
    public static readonly IReadOnlySet<string> IpFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "observer.ip",
    };

    /// <summary>The type named in configuration: int, long, double (float), bool, ip or string.</summary>
    public static FieldType Parse(string name, ConfigNode at) =>
        TryParseName(name, out var type) ? type : throw at.Error($"unknown field type '{name}' (known: int, long, double, bool, ip, string)");

    /// <summary>Reads a type name; false when it is not one.</summary>
    public static bool TryParseName(string name, out FieldType type)
    {
        type = name.ToLowerInvariant() switch
        {
            "int" or "integer" or "long" => FieldType.Long,
            "double" or "float" or "number" => FieldType.Double,
            "bool" or "boolean" => FieldType.Bool,
            "ip" => FieldType.Ip,
            "string" or "str" => FieldType.String,
            _ => (FieldType)255,
        };
        return type != (FieldType)255;
    }

    /// <summary>Reads a <c>types:</c> mapping of field name to type, or an empty one when absent.</summary>
    public static Dictionary<string, FieldType> FromConfig(ConfigNode parent)
    {
        var types = new Dictionary<string, FieldType>(StringComparer.Ordinal);
        if (parent.Get("types") is { IsNull: false } node)
            foreach (var (field, type) in node.Entries) types[field] = Parse(type.AsString(), type);
        return types;
    }

    /// <summary>Converts text to the type; false when it does not parse.</summary>
    public static bool TryConvert(string text, FieldType type, out FieldValue value)
    {
        value = default;
        switch (type)
        {
            case FieldType.Long:
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return false;
                value = FieldValue.Long(l);
                return true;
            case FieldType.Double:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return false;
                value = FieldValue.Double(d);
                return true;
            case FieldType.Bool:
                if (!bool.TryParse(text, out var b))
                {
                    if (text is "1" or "yes" or "on") b = true;
                    else if (text is "0" or "no" or "off") b = false;
                    else return false;
                }
                value = FieldValue.Bool(b);
                return true;
            case FieldType.Ip:
                if (!TryParseIp(text, out var ip)) return false;
                value = FieldValue.Ip(ip);
                return true;
            default:
                value = FieldValue.String(text);
                return true;
        }
    }

    /// <summary>The value of an untyped field: an IP address for the <see cref="IpFields"/> when it parses, else text.</summary>
    public static FieldValue Auto(string field, string text) =>
        IpFields.Contains(field) && TryParseIp(text, out var ip) ? FieldValue.Ip(ip) : FieldValue.String(text);

    /// <summary>
    /// Parses a dotted IPv4 or an IPv6 address. Unlike <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone,
    /// a bare number ("1") is not taken as an address.
    /// </summary>
    public static bool TryParseIp(string text, out IPAddress ip)
    {
        ip = IPAddress.None;
        if (text.Length < 2 || (text.IndexOf('.') < 0 && text.IndexOf(':') < 0)) return false;
        if (!IPAddress.TryParse(text, out var parsed)) return false;
        ip = parsed;
        return true;
    }

    /// <summary>Sets a field from text, typed by <paramref name="types"/> or automatically; false when a typed value does not parse.</summary>
    public static bool SetTyped(Event e, string field, string text, IReadOnlyDictionary<string, FieldType> types)
    {
        if (types.Count > 0 && types.TryGetValue(field, out var type))
        {
            if (!TryConvert(text, type, out var value)) return false;
            e.Set(field, value);
        }
        else e.Set(field, Auto(field, text));
        return true;
    }

    /// <summary>The name used in messages for a type.</summary>
    public static string Describe(FieldType type) => type switch
    {
        FieldType.Long => "int",
        FieldType.Double => "double",
        FieldType.Bool => "bool",
        FieldType.Ip => "ip",
        _ => "string",
    };
}
