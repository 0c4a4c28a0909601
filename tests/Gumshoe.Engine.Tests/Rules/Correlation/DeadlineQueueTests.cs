using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class DeadlineQueueTests
{
    [Fact]
    public void DeadlinesComeDueInOrderEqualOnesInTheOrderTheyWereSetWhateverOrderTheyCameIn()
    {
        var rng = new Random(11);
        var queue = new DeadlineQueue();
        var model = new List<(long Deadline, int Seq, GroupKeyValue Key)>();
        var seq = 0;
        var clock = 0L;
        for (var step = 0; step < 20_000; step++)
        {
            if (rng.Next(3) > 0)
            {
                // mostly growing deadlines, now and then an earlier one (a late event), and many equal ones
                clock += rng.Next(3);
                var deadline = rng.Next(10) == 0 ? clock - rng.Next(50) : clock;
                var key = GroupKeyValue.Ipv4((uint)seq);
                queue.Enqueue(key, deadline);
                model.Add((deadline, seq++, key));
                continue;
            }
            var expected = model.OrderBy(m => m.Deadline).ThenBy(m => m.Seq).FirstOrDefault();
            Assert.Equal(model.Count > 0, queue.TryPeek(out var k, out var d));
            if (model.Count == 0) continue;
            Assert.Equal((expected.Key, expected.Deadline), (k, d));
            queue.Dequeue();
            model.Remove(expected);
            Assert.Equal(model.Count, queue.Count);
        }
        Assert.True(model.Count > 1000, "the queue grew past its first ring");
    }

    [Fact]
    public void TheGroupsNextInLineCanBeSeenAhead()
    {
        var queue = new DeadlineQueue();
        for (var i = 0; i < 5; i++) queue.Enqueue(GroupKeyValue.Ipv4((uint)i), 100 + i);
        Assert.True(queue.TryPeekAhead(4, out var fifth));
        Assert.Equal(GroupKeyValue.Ipv4(4), fifth);
        Assert.False(queue.TryPeekAhead(5, out _));
        queue.Dequeue();
        Assert.True(queue.TryPeekAhead(0, out var first));
        Assert.Equal(GroupKeyValue.Ipv4(1), first);
        queue.Clear();
        Assert.False(queue.TryPeek(out _, out _));
    }
}
