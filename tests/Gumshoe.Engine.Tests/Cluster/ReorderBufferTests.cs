using System.Text;
using Gumshoe.Engine.Cluster;

namespace Gumshoe.Engine.Tests.Cluster;

public sealed class ReorderBufferTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static List<string> Out(ReorderBuffer b, long low) => b.Release(low).Select(x => Encoding.UTF8.GetString(x.Data)).ToList();

    [Fact]
    public void Events_wait_for_the_slowest_collector_then_come_out_in_event_time_order()
    {
        var b = new ReorderBuffer(TimeSpan.FromMinutes(2), 1000);
        b.Add("fast", 50, 1, B("fast@50"), Now);
        b.Add("fast", 90, 2, B("fast@90"), Now);
        b.Watermark("fast", 90, Now);
        b.Add("slow", 10, 3, B("slow@10"), Now);
        Assert.Equal(long.MinValue, b.Low(Now)); // slow has sent events but no watermark yet
        Assert.Empty(Out(b, b.Low(Now)));
        b.Add("slow", 60, 4, B("slow@60"), Now);
        b.Watermark("slow", 60, Now);
        Assert.Equal(60, b.Low(Now));
        Assert.Equal(["slow@10", "fast@50", "slow@60"], Out(b, b.Low(Now)));
        Assert.Equal(1, b.Count);
    }

    [Fact]
    public void A_collector_gone_silent_stops_holding_the_others_back()
    {
        var b = new ReorderBuffer(TimeSpan.FromMinutes(2), 1000);
        b.Watermark("gone", 5, Now);
        b.Add("live", 100, 1, B("live@100"), Now.AddMinutes(3));
        b.Watermark("live", 100, Now.AddMinutes(3));
        Assert.Equal(100, b.Low(Now.AddMinutes(3)));
        Assert.Equal(["live@100"], Out(b, 100));
    }

    [Fact]
    public void A_collector_that_has_seen_nothing_holds_nothing_back_and_a_full_buffer_releases_its_oldest()
    {
        var b = new ReorderBuffer(TimeSpan.FromMinutes(2), 2);
        b.Watermark("idle", null, Now);
        Assert.Equal(long.MaxValue, b.Low(Now));
        b.Add("x", 3, 1, B("3"), Now);
        b.Add("x", 1, 2, B("1"), Now);
        b.Add("x", 2, 3, B("2"), Now);
        Assert.Equal(["1"], Out(b, long.MinValue)); // over the limit: the oldest goes, counted
        Assert.Equal(1, b.Overflowed);
    }

    [Fact]
    public void A_snapshot_restores_held_events_and_watermarks()
    {
        var b = new ReorderBuffer(TimeSpan.FromMinutes(2), 1000);
        b.Add("a", 20, 7, B("a@20"), Now);
        b.Add("a", 10, 8, B("a@10"), Now);
        b.Watermark("a", 15, Now);
        var copy = new ReorderBuffer(TimeSpan.FromMinutes(2), 1000);
        copy.Restore(System.Text.Json.Nodes.JsonNode.Parse(b.Snapshot().ToJsonString()));
        Assert.Equal(15, copy.Low(Now));
        Assert.Equal(7UL, copy.LowestHeld);
        Assert.Equal(["a@10"], Out(copy, copy.Low(Now)));
    }
}
