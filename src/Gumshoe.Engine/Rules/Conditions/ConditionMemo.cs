using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// A rule set's field tests remembered for the event being matched: a test written in several rules
/// (<c>event.outcome == "failure"</c>, the <c>event.action</c> the rule index dispatched on) runs once per event. Only
/// between <see cref="Begin"/> and <see cref="End"/>, for that event, on the rule set's thread; any other call tests
/// afresh.
/// </summary>
public sealed class ConditionMemo
{
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private Event? _event;
    private int _stamp = 1;
    private int[] _stamps = [];  // per test: the stamp of the event its result is for
    private bool[] _results = [];

    /// <summary>Distinct tests written more than once, each with a slot (for tests).</summary>
    public int Count => _ids.Count;

    /// <summary>Whether any test is shared; if none, the rule set need not tell the memo of its events.</summary>
    public bool Active => _ids.Count > 0;

    /// <summary>Counts one place a test is written (before compiling): only a test written twice or more gets a slot.</summary>
    internal void CountUse(string test) => _uses[test] = _uses.GetValueOrDefault(test) + 1;

    /// <summary>Starts remembering results for <paramref name="e"/>, forgetting those of the event before.</summary>
    public void Begin(Event e)
    {
        _event = e;
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_stamps);
            _stamp = 1;
        }
    }

    /// <summary>Stops remembering: the event may change or be reused after this.</summary>
    public void End() => _event = null;

    /// <summary>
    /// The slot of a test, by a text that says exactly what it tests (field, operator, operands, case), or -1 for a
    /// test written only once: remembering it would cost more than it saves.
    /// </summary>
    internal int Id(string test)
    {
        if (_uses.GetValueOrDefault(test) < 2) return -1;
        if (_ids.TryGetValue(test, out var id)) return id;
        _ids[test] = id = _ids.Count;
        if (id >= _stamps.Length)
        {
            Array.Resize(ref _stamps, Math.Max(8, _stamps.Length * 2));
            Array.Resize(ref _results, _stamps.Length);
        }
        return id;
    }

    /// <summary>The remembered result of test <paramref name="id"/> for <paramref name="e"/>, if any.</summary>
    internal bool TryGet(Event e, int id, out bool result)
    {
        if (ReferenceEquals(e, _event) && _stamps[id] == _stamp)
        {
            result = _results[id];
            return true;
        }
        result = false;
        return false;
    }

    /// <summary>Remembers a result for <paramref name="e"/> when it is the event being matched; returns the result.</summary>
    internal bool Remember(Event e, int id, bool result)
    {
        if (ReferenceEquals(e, _event))
        {
            _results[id] = result;
            _stamps[id] = _stamp;
        }
        return result;
    }
}
