using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class ValuePoolTests
{
    [Fact]
    public void AnEqualValueMetAgainIsTheFirstInstance()
    {
        var pool = new ValuePool(64);
        var first = new string("alice".AsSpan());
        var again = new string("alice".AsSpan());
        Assert.Same(first, pool.Canonical(first, first.GetHashCode()));
        Assert.Same(first, pool.Canonical(again, again.GetHashCode()));
    }

    [Fact]
    public void TwoValuesOfOneSetStayPooledTogetherAndAThirdTakesTheLeastRecent()
    {
        // a pool of two slots is one set: every value lands in it
        var pool = new ValuePool(2);
        string Fresh(string s) => new(s.AsSpan());
        var (a, b, c) = (Fresh("a"), Fresh("b"), Fresh("c"));
        pool.Canonical(a, a.GetHashCode());
        pool.Canonical(b, b.GetHashCode());
        Assert.Same(a, pool.Canonical(Fresh("a"), a.GetHashCode())); // a is now the more recent
        pool.Canonical(c, c.GetHashCode());                          // b goes
        Assert.Same(a, pool.Canonical(Fresh("a"), a.GetHashCode()));
        Assert.Same(c, pool.Canonical(Fresh("c"), c.GetHashCode()));
        var b2 = Fresh("b");
        Assert.Same(b2, pool.Canonical(b2, b2.GetHashCode()));
    }

    [Fact]
    public void AValueIsComparedOnlyWithThePooledValueOfItsHashAndFetchingAheadIsAHint()
    {
        // the hash kept beside each pooled value decides which one a value is compared with: a value handed over
        // with another hash (never so in use: the hash is the value's own) is not taken for the pooled one
        var pool = new ValuePool(2);
        var a = new string("alice".AsSpan());
        pool.Canonical(a, a.GetHashCode());
        var again = new string("alice".AsSpan());
        Assert.Same(again, pool.Canonical(again, a.GetHashCode() ^ 1));
        Assert.Same(a, pool.Canonical(new string("alice".AsSpan()), a.GetHashCode()));
        pool.Prefetch(a.GetHashCode());
        pool.Prefetch(12345);
        new ValuePool(2).Prefetch(0);
    }

    [Fact]
    public void ManyValuesAreEachGivenBackEqual()
    {
        var pool = new ValuePool(16);
        var rng = new Random(5);
        for (var i = 0; i < 10_000; i++)
        {
            var v = "user" + rng.Next(200);
            Assert.Equal(v, pool.Canonical(v, v.GetHashCode()));
        }
    }

    [Fact]
    public void GroupsKeepThePooledInstanceOfAValueNewToThem()
    {
        var pool = new ValuePool();
        var (one, two) = (new DistinctValues(), new DistinctValues());
        var at = new EventRef(T0, null, 1);
        // each event parsed on its own: its user.name is a string of its own
        one.Update(new string("bob".AsSpan()), at, 5, pool);
        two.Update(new string("bob".AsSpan()), at with { Offset = 2 }, 5, pool);
        two.Update(new string("eve".AsSpan()), at with { Offset = 3 }, 5, pool);
        Assert.Same(one.Items[0].Value, two.Items[0].Value);
        Assert.Equal(["bob", "eve"], two.Items.Select(v => v.Value));
        Assert.Equal(2, two.Items[0].Ref.Offset);
    }
}
