using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Gumshoe.Web.Html;

/// <summary>Markup that is already safe (built by the page code itself); everything else is encoded.</summary>
public readonly record struct RawHtml(string Value);

/// <summary>
/// Builds an HTML page where every interpolated value is HTML-encoded unless it is <see cref="RawHtml"/>:
/// <c>h.Add($"&lt;td&gt;{alert.Title}&lt;/td&gt;")</c> cannot inject markup, whatever the event said.
/// </summary>
public sealed class HtmlBuilder
{
    /// <summary>The encoder: keeps letters of every script readable, encodes markup characters and quotes.</summary>
    public static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    internal StringBuilder Text { get; } = new(16 * 1024);

    /// <summary>Appends markup with encoded holes.</summary>
    public HtmlBuilder Add([InterpolatedStringHandlerArgument("")] ref HtmlInterpolation html) => this;

    /// <summary>Appends trusted literal markup.</summary>
    public HtmlBuilder Raw(string markup)
    {
        Text.Append(markup);
        return this;
    }

    /// <summary>Encodes text for an element body or a quoted attribute.</summary>
    public static string Encode(string? text) => text is null ? "" : Encoder.Encode(text);

    /// <summary>A path segment: URL-escaped (then HTML-encoded where it is used).</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    public override string ToString() => Text.ToString();
}

/// <summary>The interpolated-string handler behind <see cref="HtmlBuilder.Add"/>.</summary>
[InterpolatedStringHandler]
public readonly ref struct HtmlInterpolation
{
    private readonly StringBuilder _sb;

    public HtmlInterpolation(int literalLength, int formattedCount, HtmlBuilder builder)
    {
        _sb = builder.Text;
        _sb.EnsureCapacity(_sb.Length + literalLength + formattedCount * 16);
    }

    public void AppendLiteral(string s) => _sb.Append(s);
    public void AppendFormatted(RawHtml html) => _sb.Append(html.Value);
    public void AppendFormatted(string? s) => _sb.Append(HtmlBuilder.Encode(s));
    public void AppendFormatted<T>(T value) =>
        _sb.Append(HtmlBuilder.Encode(value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString()));
    public void AppendFormatted<T>(T value, string format) where T : IFormattable =>
        _sb.Append(HtmlBuilder.Encode(value.ToString(format, CultureInfo.InvariantCulture)));
}
