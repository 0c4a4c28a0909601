using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Events;

public sealed class EventTests
{
    // a name made at run time: the same text as a literal, another instance
    private static string Copy(string name) => new(name.AsSpan());

    [Fact]
    public void A_field_is_found_by_its_text_whatever_instance_names_it()
    {
        var e = new Event();
        e.Set(Copy("source.ip"), "1.2.3.4");
        e.Set("user.name", "alice");
        Assert.Equal("1.2.3.4", e.GetString("source.ip"));
        Assert.Equal("alice", e.GetString(Copy("user.name")));
        Assert.Null(e.GetString("host.name"));
        Assert.Null(e.GetString(""));
        e.Set(Copy("user.name"), "bob"); // replaces, does not add
        Assert.Equal(2, e.FieldCount);
        Assert.Equal("bob", e.GetString("user.name"));
    }

    [Fact]
    public void A_hinted_lookup_gives_what_a_plain_one_gives_whatever_the_hint_says()
    {
        var first = new Event();
        first.Set("event.action", "login");
        first.Set("source.ip", "10.0.0.1");
        var hint = -1;
        Assert.True(first.TryGet("source.ip", ref hint, out var v));
        Assert.Equal("10.0.0.1", v.AsString());
        Assert.Equal(1, hint); // where it was found: looked at first next time
        // the next event has its fields in another order, or lacks the field, or had it removed: the hint only misleads
        var other = new Event();
        other.Set("source.ip", "10.0.0.2");
        other.Set("event.action", "logout");
        Assert.True(other.TryGet("source.ip", ref hint, out v));
        Assert.Equal("10.0.0.2", v.AsString());
        Assert.Equal(0, hint);
        var lacking = new Event();
        lacking.Set("source.ip", "10.0.0.3");
        lacking.Remove("source.ip");
        Assert.False(lacking.TryGet("source.ip", ref hint, out _));
        Assert.False(new Event().TryGet("source.ip", ref hint, out _));
        hint = 99;
        Assert.True(first.TryGet(Copy("source.ip"), ref hint, out v)); // another instance of the name: found by text
        Assert.Equal("10.0.0.1", v.AsString());
        // a property is never hinted at, even when a field of its name was stored: the property wins, as in TryGet
        var input = new Event { Input = "auth" };
        input.Set("gumshoe.input", "stored");
        hint = -1;
        for (var i = 0; i < 2; i++)
        {
            Assert.True(input.TryGet("gumshoe.input", ref hint, out v));
            Assert.Equal("auth", v.AsString());
            Assert.Equal(-1, hint);
        }
        Assert.True(input.TryGet("@timestamp", ref hint, out v));
        Assert.Equal(-1, hint);
    }

    [Fact]
    public void Removed_fields_are_gone_and_their_slots_serve_new_ones_in_order()
    {
        var e = new Event();
        e.Set("a", "1");
        e.Set("b", "2");
        e.Set("c", "3");
        Assert.True(e.Remove(Copy("b")));
        Assert.False(e.Remove("b"));
        Assert.Null(e.GetString("b"));
        e.Set("d", "4");
        e.Set("b", "5");
        Assert.Equal(["a", "d", "c", "b"], e.Fields.Select(f => f.Key).Where(k => k.Length == 1));
        Assert.Equal("5", e.GetString("b"));
    }

    [Fact]
    public void Many_fields_are_all_found_also_after_removals()
    {
        var e = new Event();
        for (var i = 0; i < 100; i++) e.Set($"field.n{i}", FieldValue.Long(i));
        for (var i = 0; i < 100; i += 3) Assert.True(e.Remove(Copy($"field.n{i}")));
        for (var i = 0; i < 100; i++)
        {
            var found = e.TryGet($"field.n{i}", out var v);
            Assert.Equal(i % 3 != 0, found);
            if (found) Assert.Equal(i, v.AsLong());
        }
        Assert.Equal(66, e.FieldCount);
    }

    [Fact]
    public void Reset_forgets_every_field()
    {
        var e = new Event();
        e.Set("user.name", "alice");
        e.Reset();
        Assert.Null(e.GetString("user.name"));
        Assert.Equal(0, e.FieldCount);
        e.Set("host.name", "web1");
        Assert.Equal("web1", e.GetString("host.name"));
    }

    [Fact]
    public void Values_keep_their_kind()
    {
        var e = new Event();
        e.Set("n", FieldValue.Long(-5));
        e.Set("d", FieldValue.Double(2.5));
        e.Set("b", FieldValue.Bool(false));
        e.Set("ip", FieldValue.Ip(System.Net.IPAddress.Parse("10.0.0.1")));
        e.Set("t", FieldValue.Timestamp(DateTimeOffset.UnixEpoch));
        e.Set("s", "x");
        Assert.Equal([FieldKind.Long, FieldKind.Double, FieldKind.Bool, FieldKind.Ip, FieldKind.Timestamp, FieldKind.String],
            new[] { "n", "d", "b", "ip", "t", "s" }.Select(k => e.Get(k).Kind));
        Assert.Equal(FieldKind.Null, e.Get("missing").Kind);
        Assert.Equal(-5, e.Get("n").AsLong());
        Assert.Equal(2.5, e.Get("d").AsDouble());
        Assert.False(e.Get("b").AsBool());
        Assert.Equal("10.0.0.1", e.Get("ip").ToString());
        Assert.Equal("1970-01-01T00:00:00Z", e.Get("t").ToString());
        Assert.Equal(FieldValue.Long(-5), e.Get("n"));
        Assert.NotEqual(FieldValue.Long(0), FieldValue.Null);
        Assert.Equal(FieldValue.String("-5"), e.Get("n")); // across kinds: by text
    }
}
