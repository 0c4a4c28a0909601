using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Tests.Metrics;

public sealed class CounterTests
{
    [Fact]
    public void ACountIsWhatWasAddedDirectlyAndInEveryCell()
    {
        var metrics = new MetricsRegistry();
        var counter = metrics.Counter("gumshoe_rule_matches_total", "rule", "r");
        counter.Add(2);
        var a = counter.Cell();
        var b = metrics.Counter("gumshoe_rule_matches_total", "rule", "r").Cell();
        a.Add();
        a.Add(3);
        b.Add(10);
        Assert.Equal(4, a.Value);
        Assert.Equal(16, counter.Value);
        Assert.Contains(metrics.Snapshot(), m => m.Name == "gumshoe_rule_matches_total" && m.Value == 16);
        Assert.Contains("gumshoe_rule_matches_total{rule=\"r\"} 16", metrics.ToPrometheus());
    }

    [Fact]
    public void CellsBumpedEachByItsOwnThreadLoseNothing()
    {
        var counter = new Counter();
        var threads = Enumerable.Range(0, 4).Select(_ =>
        {
            var cell = counter.Cell(); // one writer per cell, as each rule set's thread has its own
            return new Thread(() => { for (var i = 0; i < 100_000; i++) cell.Add(); });
        }).ToList();
        // a reader may sum while the writers run; it sees a count that only grows
        var fell = false;
        var reader = new Thread(() =>
        {
            long last = 0;
            for (var i = 0; i < 1_000; i++)
            {
                var now = counter.Value;
                fell |= now < last;
                last = now;
            }
        });
        threads.ForEach(t => t.Start());
        reader.Start();
        counter.Add(5);
        threads.ForEach(t => t.Join());
        reader.Join();
        Assert.False(fell);
        Assert.Equal(400_005, counter.Value);
    }
}
