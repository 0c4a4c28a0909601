using System.Runtime.CompilerServices;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class GroupTableTests
{
    private static List<(GroupKeyValue, T)> Contents<T>(GroupTable<T> table) where T : struct
    {
        var items = new List<(GroupKeyValue, T)>();
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
    public void AnEntrysStampIsGivenAsItIsAddedKeptAsTheTableGrowsAndClearedWhenItIsFreed()
    {
        var table = new GroupTable<int>();
        var keys = Enumerable.Range(0, 3 * GroupTable<int>.ChunkSize).Select(k => GroupKeyValue.Ipv4((uint)k)).ToArray();
        for (var i = 0; i < keys.Length; i++) table.GetOrAdd(keys[i], GroupTable<int>.HashOf(keys[i]), stamp: 1000 + i, out _) = i;
        // adding an existing key leaves its stamp alone; a key added without one has 0
        table.GetOrAdd(keys[5], GroupTable<int>.HashOf(keys[5]), stamp: 7, out var exists);
        Assert.True(exists);
        var extra = GroupKeyValue.Text("extra");
        table.GetOrAdd(extra, out _);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i, table.IndexOf(keys[i]));
            Assert.Equal(1000 + i, table.StampAt(i));
        }
        Assert.Equal(0, table.StampAt(table.IndexOf(extra)));
        table.StampAt(3) = 42;
        Assert.Equal(42, table.StampAt(table.IndexOf(keys[3])));
        table.FreeAt(3);
        table.Relink();
        Assert.Equal(-1, table.IndexOf(keys[3]));
        Assert.Equal(0, table.StampAt(3));
        Assert.Equal(-1, table.IndexOf(GroupKeyValue.Text("absent")));
    }

    [Fact]
    public void GrowingChunkByChunkKeepsEveryEntryAndItsOrder()
    {
        var table = new GroupTable<long>();
        var keys = Enumerable.Range(0, 5 * GroupTable<long>.ChunkSize + 7).Select(k => GroupKeyValue.Ipv4((uint)k * 256)).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            table.GetOrAdd(keys[i], out var exists) = i;
            Assert.False(exists);
        }
        // a freed entry in a later chunk is taken by the next key, and the table does not grow for it
        Assert.True(table.Remove(keys[3 * GroupTable<long>.ChunkSize + 1]));
        table.GetOrAdd(GroupKeyValue.Text("late"), out _) = -1;
        var expected = keys.Select((k, i) => (k, (long)i)).ToList();
        expected[3 * GroupTable<long>.ChunkSize + 1] = (GroupKeyValue.Text("late"), -1);
        Assert.Equal(expected, Contents(table));
        for (var i = 0; i < keys.Length; i++)
            if (i != 3 * GroupTable<long>.ChunkSize + 1) Assert.Equal(i, table.Find(keys[i]));
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
    public void TheEntryNamedForANewKeyIsTheOneItTakesOnceTheNewKeysAheadHaveTakenTheirs()
    {
        var table = new GroupTable<int>();
        for (uint k = 1; k <= 9; k++) table.GetOrAdd(GroupKeyValue.Ipv4(k), out _) = (int)k;
        foreach (var k in new uint[] { 2, 7, 4 }) Assert.True(table.Remove(GroupKeyValue.Ipv4(k)));
        // a key held names its own entry
        var own = table.EntryFor(GroupKeyValue.Ipv4(5), 3, out var isNew);
        Assert.False(isNew);
        Assert.Equal(5u, (uint)table.ValueAt(own));
        // six new keys, named all before any is added (as a batch fetches ahead): three freed entries, the last freed
        // first, then three never used
        var keys = Enumerable.Range(100, 6).Select(k => GroupKeyValue.Ipv4((uint)k)).ToArray();
        var named = keys.Select((k, ahead) => table.EntryFor(k, ahead, out var n) is var e && n ? e : -2).ToArray();
        foreach (var k in keys) table.GetOrAdd(k, out _);
        Assert.Equal(keys.Select(k => Enumerable.Range(0, table.End).Single(i => table.IsUsed(i) && table.KeyAt(i) == k)), named);
        Assert.Equal(new[] { 3, 6, 1, 9, 10, 11 }, named);
        // beyond the room left, or for a key that will not be added, no entry is named
        Assert.Equal(-1, table.EntryFor(GroupKeyValue.Ipv4(500), 16 - table.End, out _));
        Assert.Equal(-1, table.EntryFor(GroupKeyValue.Ipv4(501), -1, out isNew));
        Assert.True(isNew);
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

    [Fact]
    public void KeysOfEveryShapeComeBackEqualWithTheirTextAndStayApart()
    {
        // an entry holds a key packed (numbers and shape, the text beside): each must come back as it went in, and keys
        // alike in their numbers but not in shape or text must not meet
        var text = GroupKeyValue.Text("alice");
        var keys = new[]
        {
            GroupKeyValue.Ipv4(0x0A000001), GroupKeyValue.Ipv4((uint)"alice".GetHashCode()), text, GroupKeyValue.Text("bob"),
            GroupKeyValue.Text("10.0.0.1"), GroupKeyValue.Text(""),
            GroupKeyValue.Network(System.Net.IPAddress.Parse("10.0.0.1"), 24), GroupKeyValue.Network(System.Net.IPAddress.Parse("10.0.0.1"), 16),
            GroupKeyValue.Network(System.Net.IPAddress.Parse("2001:db8::1"), 64), GroupKeyValue.Network(System.Net.IPAddress.Parse("2001:db8::1"), 48),
        };
        var table = new GroupTable<int>();
        for (var i = 0; i < keys.Length; i++) table.GetOrAdd(keys[i], out _) = i + 1;
        Assert.Equal(keys.Length, table.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i + 1, table.Find(keys[i]));
            Assert.Equal(keys[i], table.KeyAt(i));
            Assert.Equal(keys[i].ToString(), table.KeyAt(i).ToString());
        }
        Assert.Equal(3, table.Find(GroupKeyValue.Text(new string("alice".AsSpan())))); // found by its text, not its instance
        Assert.True(table.Remove(text));
        table.GetOrAdd(GroupKeyValue.Ipv4(7), out _) = 99; // takes the freed entry: no text left behind
        Assert.Equal(GroupKeyValue.Ipv4(7), table.KeyAt(2));
        Assert.True(Unsafe.IsNullRef(ref table.Find(text)));
    }
}
