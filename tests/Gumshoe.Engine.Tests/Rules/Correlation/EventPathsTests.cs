using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class EventPathsTests
{
    [Fact]
    public void NoPathIsZeroAndAPathKeepsItsNumberWhateverItsInstance()
    {
        Assert.Equal(0, EventPaths.IdOf(null));
        Assert.Null(EventPaths.PathOf(0));
        var id = EventPaths.IdOf("/var/log/auth.log");
        Assert.NotEqual(0, id);
        Assert.Equal(id, EventPaths.IdOf(new string("/var/log/auth.log".AsSpan())));
        Assert.Equal("/var/log/auth.log", EventPaths.PathOf(id));
    }

    [Fact]
    public void ThreadsNumberingManyPathsAtOnceAgreeOnEveryNumber()
    {
        // analysers run partitions in parallel: their rule sets number paths concurrently
        var paths = Enumerable.Range(0, 500).Select(i => $"/tmp/gumshoe-paths-test/{Guid.NewGuid()}/{i}.log").ToArray();
        var seen = new int[8][];
        Parallel.For(0, 8, t =>
        {
            seen[t] = new int[paths.Length];
            for (var i = 0; i < paths.Length; i++)
            {
                var p = paths[(i * (t + 1)) % paths.Length];
                var id = EventPaths.IdOf(p);
                Assert.Equal(p, EventPaths.PathOf(id));
                seen[t][(i * (t + 1)) % paths.Length] = id;
            }
        });
        for (var i = 0; i < paths.Length; i++)
        {
            var id = EventPaths.IdOf(paths[i]);
            Assert.All(seen, s => Assert.True(s[i] == 0 || s[i] == id));
        }
        Assert.Equal(paths.Length, paths.Select(EventPaths.IdOf).Distinct().Count());
    }
}
