using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Inputs;

/// <summary>Options every input shares: the time zone of zone-less stamps.</summary>
public static class InputConfig
{
    /// <summary>Reads <c>timezone</c> (an IANA name such as <c>Europe/Berlin</c>, <c>UTC</c> or <c>local</c>; default local).</summary>
    public static ParseContext ParseContextOf(ConfigNode node)
    {
        var tzNode = node.Get("timezone");
        return new ParseContext { TimeZone = tzNode is null ? TimeZoneInfo.Local : TimeZoneOf(tzNode) };
    }

    public static TimeZoneInfo TimeZoneOf(ConfigNode node)
    {
        var name = node.AsString();
        if (name.Equals("local", StringComparison.OrdinalIgnoreCase)) return TimeZoneInfo.Local;
        if (name.Equals("UTC", StringComparison.OrdinalIgnoreCase)) return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(name); }
        catch (TimeZoneNotFoundException) { throw node.Error($"unknown time zone '{name}' (use an IANA name such as Europe/Berlin, or UTC)"); }
    }
}
