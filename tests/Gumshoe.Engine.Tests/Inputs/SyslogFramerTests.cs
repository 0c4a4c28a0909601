using System.Text;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Tests.Inputs;

public class SyslogFramerTests
{
    private static List<(string Text, long Offset, long End, FrameProblem Problems)> Frame(SyslogFraming framing, int max, params byte[][] chunks)
    {
        var frames = new List<(string, long, long, FrameProblem)>();
        var framer = new SyslogFramer(framing, max);
        SyslogFramer.FrameHandler onFrame = (m, o, e, p) => frames.Add((Encoding.UTF8.GetString(m), o, e, p));
        foreach (var c in chunks) framer.Feed(c, onFrame);
        framer.Finish(onFrame);
        return frames;
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Auto_framing_takes_counted_and_newline_messages_from_one_stream_with_their_offsets()
    {
        var stream = B("11 <13>counted<14>line one\n12 <15>counted2");
        var frames = Frame(SyslogFraming.Auto, 1000, stream);
        Assert.Equal(["<13>counted", "<14>line one", "<15>counted2"], frames.Select(f => f.Text));
        Assert.Equal([(0L, 14L), (14L, 27L), (27L, 42L)], frames.Select(f => (f.Offset, f.End)));
        Assert.All(frames, f => Assert.Equal(FrameProblem.None, f.Problems));
    }

    [Fact]
    public void Every_split_of_the_stream_gives_the_same_messages()
    {
        var stream = B("11 <13>counted<14>line one\r\n\n12 <15>counted2\n<16>last");
        var whole = Frame(SyslogFraming.Auto, 1000, stream);
        for (var cut = 1; cut < stream.Length; cut++)
        {
            var split = Frame(SyslogFraming.Auto, 1000, stream[..cut], stream[cut..]);
            Assert.Equal(whole, split);
        }
        Assert.Equal(["<13>counted", "<14>line one\r", "<15>counted2", "<16>last"], whole.Select(f => f.Text));
    }

    [Fact]
    public void A_byte_at_a_time_still_frames_correctly()
    {
        var stream = B("5 hello<1>x 123\n3 abc");
        var frames = Frame(SyslogFraming.Auto, 1000, stream.Select(b => new[] { b }).ToArray());
        Assert.Equal(["hello", "<1>x 123", "abc"], frames.Select(f => f.Text));
    }

    [Fact]
    public void An_over_long_counted_message_is_cut_and_the_next_one_is_intact()
    {
        var frames = Frame(SyslogFraming.Auto, 4, B("10 0123456789"), B("3 abc"));
        Assert.Equal([("0123", FrameProblem.TooLong), ("abc", FrameProblem.None)], frames.Select(f => (f.Text, f.Problems)));
        Assert.Equal(13, frames[0].End);
    }

    [Fact]
    public void An_over_long_line_is_cut_and_its_rest_skipped_across_chunks()
    {
        var frames = Frame(SyslogFraming.Newline, 5, B("<1>abcdefgh"), B("ijkl\n<2>ok\n"));
        Assert.Equal([("<1>ab", FrameProblem.TooLong), ("<2>ok", FrameProblem.None)], frames.Select(f => (f.Text, f.Problems)));
    }

    [Fact]
    public void A_stream_ending_inside_a_counted_frame_delivers_the_part_as_incomplete()
    {
        var frames = Frame(SyslogFraming.Auto, 100, B("20 <1>short"));
        Assert.Equal([("<1>short", FrameProblem.Incomplete)], frames.Select(f => (f.Text, f.Problems)));
    }

    [Fact]
    public void Newline_framing_does_not_read_a_leading_number_as_a_length()
    {
        var frames = Frame(SyslogFraming.Newline, 100, B("12 monkeys\n"));
        Assert.Equal(["12 monkeys"], frames.Select(f => f.Text));
    }

    [Fact]
    public void Octet_counting_framing_flags_a_frame_without_a_length_and_goes_on()
    {
        var frames = Frame(SyslogFraming.OctetCounting, 100, B("<1>no length\n3 abc"));
        Assert.Equal([("<1>no length", FrameProblem.MissingLength), ("abc", FrameProblem.None)], frames.Select(f => (f.Text, f.Problems)));
    }
}
