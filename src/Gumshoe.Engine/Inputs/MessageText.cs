using System.Text;
using System.Text.Unicode;

namespace Gumshoe.Engine.Inputs;

/// <summary>Decodes one received message: trailing line ends and NULs trimmed, bad UTF-8 and NULs counted.</summary>
internal static class MessageText
{
    /// <summary>The text, or null when nothing but line ends was received (a probe that connected and left).</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes, InputCounters counters)
    {
        var end = bytes.Length;
        while (end > 0 && bytes[end - 1] is (byte)'\n' or (byte)'\r' or 0) end--;
        bytes = bytes[..end];
        if (bytes.IsEmpty) return null;
        if (!Utf8.IsValid(bytes)) counters.Problem("invalid_utf8");
        var text = Encoding.UTF8.GetString(bytes);
        if (bytes.Contains((byte)0))
        {
            counters.Problem("nul_bytes");
            text = text.Replace('\0', '\uFFFD');
        }
        return text;
    }
}
