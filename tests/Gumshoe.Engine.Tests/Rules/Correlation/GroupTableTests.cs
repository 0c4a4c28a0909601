using System.Runtime.CompilerServices;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class GroupTableTests
{
    private static List<(GroupKeyValue, int)> Contents(GroupTable<int> table)
    {
        var items = new List<(GroupKeyValue, int)>();
        for (var i = 0; i < table.End; i++)
            if (table.IsUsed(i)) items.Add((table.KeyAt(i), table.ValueAt(i)));
        return items;
    }

    [Fact]
    public void AddsFindsRemovesAndEnumeratesInTheOrderADictionaryWould()
    {
        var rng = new Random(5);
        var table = new GroupTable<int>();
        var model = new Dictionary<GroupKeyValue, int>();
        // addresses, /24 networks (low bits all zero) and text keys, so that buckets collide and chains form
        GroupKeyValue Key(int k) => (k % 3) switch
        {
            0 => GroupKeyValue.Ipv4((uint)k),
            1 => GroupKeyValue.Ipv4((uint)k << 8),
            _ => GroupKeyValue.Text("user" + k),
        };
        for (var step = 0; step < 20_000; step++)
        {
            var key = Key(rng.Next(2_000));
            switch (rng.Next(3))
            {
                case 0:
                    Assert.Equal(model.Remove(key), table.Remove(key));
                    break;
                default:
                    ref var value = ref table.GetOrAdd(key, out var exists);
                    Assert.Equal(model.ContainsKey(key), exists);
                    value += 1;
                    model[key] = model.GetValueOrDefault(key) + 1;
                    break;
            }
            Assert.Equal(model.Count, table.Count);
            if (step % 500 == 0) Assert.Equal(model.Select(kv => (kv.Key, kv.Value)), Contents(table));
        }
        Assert.Equal(model.Select(kv => (kv.Key, kv.Value)), Contents(table));
        foreach (var (k, v) in model) Assert.Equal(v, table.Find(k));
        Assert.True(Unsafe.IsNullRef(ref table.Find(GroupKeyValue.Text("absent"))));
    }

    [Fact]
    public void AFreedEntryIsReusedCleanLastFreedFirst()
    {
        var table = new GroupTable<(int, string?)>();
        for (var k = 1; k <= 5; k++) table.GetOrAdd(GroupKeyValue.Ipv4((uint)k), out _) = (k, "state " + k);
        Assert.True(table.Remove(GroupKeyValue.Ipv4(2)));
        Assert.True(table.Remove(GroupKeyValue.Ipv4(4)));
        Assert.False(table.Remove(GroupKeyValue.Ipv4(4)));
        Assert.Equal(3, table.Count);
        // the next two keys take the slots of 4, then 2, and start from default state
        ref var six = ref table.GetOrAdd(GroupKeyValue.Ipv4(6), out var exists);
        Assert.False(exists);
        Assert.Equal(default, six);
        table.GetOrAdd(GroupKeyValue.Ipv4(7), out _);
        Assert.Equal(5, table.End);
        Assert.Equal(["0.0.0.1", "0.0.0.7", "0.0.0.3", "0.0.0.6", "0.0.0.5"], Enumerable.Range(0, table.End).Select(i => table.KeyAt(i).ToString()));
        // prefetching is a hint: any key, present or not, on an empty table or not
        table.PrefetchSlot(GroupKeyValue.Ipv4(6));
        table.PrefetchEntry(GroupKeyValue.Ipv4(6));
        table.PrefetchEntry(GroupKeyValue.Text("absent"));
        new GroupTable<int>().PrefetchEntry(GroupKeyValue.Ipv4(1));
    }
    [Fact]
    public void ASweepFreesManyThenRelinksAndEveryKeyLeftIsFoundAgain()
    {
        var rng = new Random(11);
        var table = new GroupTable<int>();
        var model = new Dictionary<GroupKeyValue, int>();
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 300; i++)
            {
                var key = GroupKeyValue.Ipv4((uint)rng.Next(5_000) << 8); // low bits alike: long probe runs
                table.GetOrAdd(key, out _) = round;
                model[key] = round;
            }
            // as a rule's sweep does: free the old ones where they lie, then relink once
            for (var i = 0; i < table.End; i++)
                if (table.IsUsed(i) && table.ValueAt(i) < round - 2)
                {
                    Assert.True(model.Remove(table.KeyAt(i)));
                    table.FreeAt(i);
                }
            table.Relink();
            Assert.Equal(model.Count, table.Count);
            foreach (var (k, v) in model) Assert.Equal(v, table.Find(k));
        }
        Assert.True(Unsafe.IsNullRef(ref table.Find(GroupKeyValue.Ipv4(1))));
    }
}
