using System.Globalization;
using System.Text.Json;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>Reads the id and time fields providers use: RFC 3339 strings, epoch seconds or milliseconds.</summary>
internal static class JsonTime
{
    public static bool TryRfc3339(JsonElement el, out DateTimeOffset time)
    {
        time = default;
        return el.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(el.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    public static bool TryEpochSeconds(JsonElement el, out DateTimeOffset time)
    {
        time = default;
        if (el.ValueKind == JsonValueKind.Number && el.TryGetDouble(out var s)) { time = DateTimeOffset.FromUnixTimeMilliseconds((long)(s * 1000)); return true; }
        if (el.ValueKind == JsonValueKind.String && double.TryParse(el.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out s)) { time = DateTimeOffset.FromUnixTimeMilliseconds((long)(s * 1000)); return true; }
        return false;
    }

    public static bool TryEpochMilliseconds(JsonElement el, out DateTimeOffset time)
    {
        time = default;
        if (el.ValueKind == JsonValueKind.Number && el.TryGetInt64(out var ms)) { time = DateTimeOffset.FromUnixTimeMilliseconds(ms); return true; }
        return false;
    }

    /// <summary>A string property, or null.</summary>
    public static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A nested property by path, or an undefined element.</summary>
    public static JsonElement At(JsonElement obj, params string[] path)
    {
        var cur = obj;
        foreach (var p in path)
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur)) return default;
        }
        return cur;
    }

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    public static string Rfc3339Seconds(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
