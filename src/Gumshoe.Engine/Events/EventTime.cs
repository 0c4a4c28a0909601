using System.Globalization;
using System.Numerics;

namespace Gumshoe.Engine.Events;

/// <summary>Formats event times as RFC 3339 in UTC, the one way Gumshoe writes them.</summary>
public static class EventTime
{
    /// <summary>The longest text <see cref="TryFormat(DateTimeOffset, Span{byte}, out int)"/> writes.</summary>
    public const int MaxLength = 28;

    /// <summary><c>2026-03-01T00:00:07Z</c>, or with the fraction of a second it has (<c>…:07.25Z</c>).</summary>
    public static string Format(DateTimeOffset t)
    {
        Span<char> chars = stackalloc char[MaxLength];
        TryFormat(t, chars, out var n);
        return new string(chars[..n]);
    }

    // The round-trip format ("o") has a fast path in the runtime, unlike a custom pattern (a fifth of an alert's cost
    // was formatting its times); its fraction, always seven digits, loses its trailing zeros (the "FFFFFFF" pattern).
    /// <summary>Writes <see cref="Format"/>'s text as UTF-16.</summary>
    public static bool TryFormat(DateTimeOffset t, Span<char> destination, out int written)
    {
        if (!t.UtcDateTime.TryFormat(destination, out written, "o", CultureInfo.InvariantCulture)) return false;
        written = Trim(destination, written);
        return true;
    }

    /// <summary>Writes <see cref="Format"/>'s text as UTF-8.</summary>
    public static bool TryFormat(DateTimeOffset t, Span<byte> destination, out int written)
    {
        if (!t.UtcDateTime.TryFormat(destination, out written, "o", CultureInfo.InvariantCulture)) return false;
        written = Trim(destination, written);
        return true;
    }

    // "yyyy-MM-ddTHH:mm:ss.fffffffZ": drops trailing zeros of the fraction, and its point when nothing is left
    private static int Trim<T>(Span<T> s, int n) where T : unmanaged, IBinaryInteger<T>
    {
        var zero = T.CreateTruncating('0');
        var end = n - 1; // at the 'Z'
        while (end > 20 && s[end - 1] == zero) end--;
        if (end == 20) end = 19;
        s[end] = T.CreateTruncating('Z');
        return end + 1;
    }

    public static bool TryParse(string s, out DateTimeOffset t) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);
}
