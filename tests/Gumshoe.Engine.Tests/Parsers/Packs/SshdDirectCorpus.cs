using System.Text;
using Gumshoe.Engine.Parsers;
using Gumshoe.LogGen;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

/// <summary>The lines the sshd pack's two direct paths (JSON writer, event reader) are held to its parser on, and the walk over them.</summary>
internal static class SshdDirectCorpus
{
    /// <summary>The file's last-write time, against which year-less stamps are placed.</summary>
    public static readonly DateTimeOffset LastWrite = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    public static ParseContext Context(TimeZoneInfo zone) => new() { TimeZone = zone, Years = new YearInference { Reference = () => LastWrite } };

    /// <summary>A generated sshd log of <paramref name="count"/> lines (always the same).</summary>
    public static List<string> Generated(int count)
    {
        var generator = new SshdLogGenerator(1, new DateTime(2026, 3, 1));
        return [.. Enumerable.Range(0, count).Select(_ => generator.NextLine())];
    }

    /// <summary>
    /// Calls <paramref name="take"/> with each line, its UTF-8 bytes and its offset as in a file (a newline after each);
    /// returns how many lines it took.
    /// </summary>
    public static int Walk(IEnumerable<string> lines, Func<string, byte[], long, bool> take)
    {
        long offset = 0;
        var taken = 0;
        foreach (var line in lines)
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            if (take(line, bytes, offset)) taken++;
            offset += bytes.Length + 1;
        }
        return taken;
    }
}
