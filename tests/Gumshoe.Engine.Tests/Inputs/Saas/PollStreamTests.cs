using Gumshoe.Engine.Inputs.Saas;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

public sealed class PollStreamTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-20T07:00:00Z");

    // what a poll delivers from the items the API shows: the window's items not delivered before, acknowledged at once
    private static List<string> Poll(PollStream s, DateTimeOffset now, IEnumerable<(string Id, DateTimeOffset Time)> visible)
    {
        s.Fold();
        if (s.NextWindow(now) is not { } w) return [];
        var cursor = s.Begin(w);
        var got = new List<string>();
        foreach (var (id, t) in visible)
        {
            if (t < w.Start || t > w.End || s.Knows(id)) continue;
            cursor.Acked = s.Add(id, t) + 1;
            got.Add(id);
        }
        s.Complete();
        s.Fold();
        return got;
    }

    [Fact]
    public void An_event_google_reports_hours_late_is_read_in_the_overlap_once_and_nothing_is_repeated()
    {
        var options = new PollerOptions { Start = T0, Overlap = TimeSpan.FromHours(3), SafetyLag = TimeSpan.FromMinutes(1), MaxWindow = TimeSpan.FromDays(1) };
        var s = new PollStream("google", "login", options);
        var a = ("a", T0.AddMinutes(10));
        var b = ("b", T0.AddMinutes(50));
        var late = ("late", T0.AddMinutes(30));   // happened before the first poll's end, reported two hours later

        Assert.Equal(["a", "b"], Poll(s, T0.AddHours(1), [a, b]));
        Assert.Equal(T0.AddHours(1).AddMinutes(-1), s.Watermark);
        Assert.Empty(Poll(s, T0.AddHours(2), [a, b]));
        Assert.Equal(["late"], Poll(s, T0.AddHours(3), [a, late, b]));
        Assert.Empty(Poll(s, T0.AddHours(3.5), [a, late, b]));

        // the ids of the overlap survive a restart from the checkpoint
        var restarted = new PollStream("google", "login", options);
        restarted.Restore(s.Checkpoint());
        Assert.Empty(Poll(restarted, T0.AddHours(4), [a, late, b]));
    }

    [Fact]
    public void Events_older_than_the_overlap_are_forgotten_and_the_window_starts_no_earlier_than_the_start()
    {
        var options = new PollerOptions { Start = T0, Overlap = TimeSpan.FromMinutes(30), SafetyLag = TimeSpan.Zero, MaxWindow = TimeSpan.FromDays(1) };
        var s = new PollStream("okta", "logs", options);
        Poll(s, T0.AddHours(1), [("a", T0.AddMinutes(5)), ("b", T0.AddMinutes(55))]);

        Assert.Equal(new PollWindow(T0.AddMinutes(30), T0.AddHours(2)), s.NextWindow(T0.AddHours(2)));
        Assert.Equal(1, s.Remembered);   // "a" is before the next window: no poll can return it again
    }
}
