using Gumshoe.Engine.Enrich;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class BoundedCacheTests
{
    [Fact]
    public void The_least_recently_used_entry_is_evicted_when_the_cache_is_full()
    {
        var cache = new BoundedCache<string, int>(2);
        cache.Set("a", 1);
        cache.Set("b", 2);
        Assert.True(cache.TryGet("a", out _));   // a is now the most recent
        cache.Set("c", 3);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out var a) && a == 1);
        Assert.True(cache.TryGet("c", out var c) && c == 3);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void An_entry_expires_after_its_time_to_live_and_its_slot_is_reused()
    {
        long now = 0;
        var cache = new BoundedCache<string, int>(2, clock: () => now);
        cache.Set("short", 1, TimeSpan.FromSeconds(1));
        cache.Set("forever", 2);
        now = 999;
        Assert.True(cache.TryGet("short", out _));
        now = 1000;
        Assert.False(cache.TryGet("short", out _));
        Assert.Equal(1, cache.Count);
        cache.Set("x", 3);
        cache.Set("y", 4);                      // evicts the least recent of forever and x
        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGet("y", out _));
        Assert.False(cache.TryGet("forever", out _));
    }

    [Fact]
    public void Many_keys_through_a_small_cache_keep_it_consistent()
    {
        var cache = new BoundedCache<int, int>(16);
        var rng = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var k = rng.Next(64);
            if (cache.TryGet(k, out var v)) Assert.Equal(k * 10, v);
            else cache.Set(k, k * 10, i % 3 == 0 ? TimeSpan.Zero : null);
            Assert.True(cache.Count <= 16);
        }
    }
}
