using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// The alerts of a batch's rules, worked on rule by rule, put back in the order that feeding one event at a time
/// raises them: by event, then by the rule's place in its list, then as raised.
/// </summary>
internal sealed class BatchAlerts : IAlertSink
{
    private (int At, int Order, int Rule, Alert Alert, Event Trigger)[] _items = new (int, int, int, Alert, Event)[16];
    private int _count;

    /// <summary>The batch index of the event the rule is working on.</summary>
    public int At;

    /// <summary>The list position of the rule being drained.</summary>
    public int Rule;

    public int Count => _count;

    public void Emit(Alert alert, Event trigger)
    {
        if (_count == _items.Length) Array.Resize(ref _items, _count * 2);
        _items[_count] = (At, _count, Rule, alert, trigger);
        _count++;
    }

    /// <summary>The alerts in feeding order (the rules are drained in list order, so raising order breaks ties).</summary>
    public ReadOnlySpan<(int At, int Order, int Rule, Alert Alert, Event Trigger)> InOrder()
    {
        var items = _items.AsSpan(0, _count);
        items.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Order.CompareTo(b.Order));
        return items;
    }

    public void Clear()
    {
        _items.AsSpan(0, _count).Clear();
        _count = 0;
        At = Rule = 0;
    }
}
