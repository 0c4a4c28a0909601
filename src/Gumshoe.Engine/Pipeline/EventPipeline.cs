using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// The path of one line, the same in replay and live: parse with the input's parser (counting every outcome
/// with its reason), then feed the rules, then the outputs. Single-threaded by design: its state and the input
/// positions it has acknowledged are consistent at any moment between two lines, which is what a checkpoint needs.
/// </summary>
public sealed class EventPipeline : IAlertSink
{
    private RuleSet _rules;
    private readonly MetricsRegistry _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<(string, ParseStatus, string?), Counter> _outcomes = [];
    private readonly Dictionary<string, long> _sampled = new(StringComparer.Ordinal);
    private readonly Counter _alerts;

    public EventPipeline(RuleSet rules, MetricsRegistry metrics, ILogger logger)
    {
        _rules = rules;
        _metrics = metrics;
        _logger = logger;
        _alerts = metrics.Counter("gumshoe_alerts_total");
    }

    /// <summary>Enrichers run on every parsed event before the rules, in order.</summary>
    public IReadOnlyList<Enrich.IEnricher> Enrichers
    {
        get => _enrichers;
        set
        {
            _enrichers = value;
            foreach (var enricher in value) enricher.Attach(_metrics, _logger);
        }
    }
    private IReadOnlyList<Enrich.IEnricher> _enrichers = [];

    /// <summary>Analyzers run on every enriched event; their findings go through the rules after the event.</summary>
    public IReadOnlyList<Analytics.IAnalyzer> Analyzers { get; set; } = [];

    /// <summary>Where alerts are written (<c>--alerts-out</c>), if anywhere.</summary>
    public JsonLinesFile? AlertsOut { get; set; }

    /// <summary>Where parsed events are written (<c>--events-out</c>), if anywhere.</summary>
    public JsonLinesFile? EventsOut { get; set; }

    /// <summary>Called for every alert (after it is written).</summary>
    public event Action<Alert>? AlertRaised;

    /// <summary>Called for every event after enrichment, before the rules see it (the web UI's activity window).</summary>
    public event Action<Event>? EventEnriched;

    /// <summary>The rules events go through; replaced on a reload (between two events).</summary>
    public RuleSet Rules { get => _rules; set => _rules = value; }

    /// <summary>Parses a line read by an input; null when it is not an event (unmatched, dropped, failed).</summary>
    public Event? Parse(IInput input, RawRecord record) =>
        Parse(input.Name, input.Parser, record.Context ?? input.ParseContext, record.Text, record.Source.Path, record.Offset, record.Received);

    /// <summary>Parses one line into an event, counting the outcome.</summary>
    public Event? Parse(string inputName, IParser parser, ParseContext context, string text, string? path, long offset, DateTimeOffset received)
    {
        var e = ParseUncounted(inputName, parser, context, text, path, offset, received, out var outcome);
        CountParsed(inputName, parser, outcome, path, offset, text);
        return e;
    }

    /// <summary>
    /// Parses one line into an event (null when it is not one) without counting it: safe on any thread, for parsing
    /// ahead on workers; <see cref="CountParsed"/> counts it later, in line order.
    /// </summary>
    public static Event? ParseUncounted(string inputName, IParser parser, ParseContext context, string text, string? path, long offset, DateTimeOffset received, out ParseOutcome outcome)
    {
        var e = new Event { Original = text, FilePath = path, Offset = offset, Input = inputName, Timestamp = received };
        try { outcome = parser.Parse(text, e, context); }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            outcome = ParseOutcome.Failed($"parser error: {ex.GetType().Name}");
        }
        return outcome.Status == ParseStatus.Matched ? e : null;
    }

    /// <summary>Counts a parsed line's outcome; the first few failures of each kind are logged with their line.</summary>
    public void CountParsed(string inputName, IParser parser, ParseOutcome outcome, string? path, long offset, string text)
    {
        Count(inputName, parser.Name, outcome);
        if (outcome.Status == ParseStatus.Failed) Sample(inputName, path, offset, outcome.Reason, text);
    }

    private void Count(string input, string parser, ParseOutcome outcome, long lines = 1)
    {
        // lines come in runs of one input and outcome: the last counter found serves the run
        if (ReferenceEquals(input, _lastCounted.Input) && outcome == _lastCounted.Outcome && _lastCounted.Counter is { } last)
        {
            last.Add(lines);
            return;
        }
        var key = (input, outcome.Status, outcome.Reason);
        if (!_outcomes.TryGetValue(key, out var c))
        {
            var status = outcome.Status.ToString().ToLowerInvariant();
            c = outcome.Reason is null
                ? _metrics.Counter("gumshoe_parser_lines_total", "input", input, "parser", parser, "status", status)
                : _metrics.Counter("gumshoe_parser_lines_total", "input", input, "parser", parser, "status", status, "reason", outcome.Reason);
            _outcomes[key] = c;
        }
        _lastCounted = (input, outcome, c);
        c.Add(lines);
    }

    private (string? Input, ParseOutcome Outcome, Counter? Counter) _lastCounted;

    // The first few failures of each kind are logged with their location; the rest are only counted.
    private void Sample(string input, string? path, long offset, string? reason, string text)
    {
        var key = input + "\0" + reason;
        var n = _sampled.GetValueOrDefault(key);
        _sampled[key] = n + 1;
        if (n < 5)
            _logger.LogWarning("input {Input}: {Path}@{Offset}: {Reason}: {Line}", input, path ?? "-", offset, reason, text.Length > 200 ? text[..200] + "…" : text);
    }

    /// <summary>
    /// Whether only the rules see events: no enrichers, analyzers, event output or <see cref="EventEnriched"/>
    /// listeners. Then an event no rule can match has no effect beyond the rules' clock, and a line that can only
    /// yield such an event may be skipped (<see cref="HandleUnmatchable"/>).
    /// </summary>
    public bool OnlyRulesSeeEvents => Enrichers.Count == 0 && Analyzers.Count == 0 && EventsOut is null && EventEnriched is null;

    /// <summary>
    /// A line a prefilter showed to parse into an event no rule can match: counted as a parsed line, and its event
    /// time moves the rules' clock, exactly as if the event had gone through <see cref="Handle"/>. Only valid while
    /// <see cref="OnlyRulesSeeEvents"/>. <paramref name="lines"/> such lines in a row with one event time are handled
    /// as one: the first moves the clock, the others could not.
    /// </summary>
    public void HandleUnmatchable(string inputName, IParser parser, DateTimeOffset timestamp, long lines = 1)
    {
        Count(inputName, parser.Name, ParseOutcome.Matched, lines);
        _rules.OnUnmatchableEvent(inputName, timestamp, this);
    }

    /// <summary>Whether events written to <see cref="EventsOut"/> name their input and the kinds JSON loses (a collector's file for an analyser).</summary>
    public bool AnnotateEventsOut { get; init; }

    /// <summary>Keys of events a collector's file already holds past its checkpoint (<see cref="Parsers.CollectedEventParser.Key"/>).</summary>
    public HashSet<string>? AlreadyWritten { get; init; }

    /// <summary>Feeds a parsed event to the rules and outputs.</summary>
    public void Handle(Event e)
    {
        foreach (var enricher in Enrichers) enricher.Enrich(e);
        // the findings' list is made only with analysers: a lambda's captured variable costs an object per call
        var findings = Analyzers.Count > 0 ? Analyze(e) : null;
        EventEnriched?.Invoke(e);
        _rules.OnEvent(e, this);
        if (findings is not null) foreach (var f in findings) _rules.OnEvent(f, this);
        if (EventsOut is { } events) Write(events, e);
    }

    /// <summary>
    /// Feeds parsed events, in order, to the rules and outputs with the same effect as <see cref="Handle"/> on each in
    /// turn; the rules take them together (<see cref="RuleSet.OnEvents"/>). With analysers, whose findings go through
    /// the rules right after their event, one at a time. The events must not change until this returns.
    /// </summary>
    public void HandleBatch(ReadOnlySpan<Event> events)
    {
        if (Analyzers.Count > 0)
        {
            foreach (var e in events) Handle(e);
            return;
        }
        foreach (var e in events)
        {
            foreach (var enricher in Enrichers) enricher.Enrich(e);
            EventEnriched?.Invoke(e);
        }
        _rules.OnEvents(events, this);
        if (EventsOut is { } written)
            foreach (var e in events) Write(written, e);
    }

    // apart from Handle: the lambda's captured event would cost Handle an object on every call
    private void Write(JsonLinesFile events, Event e)
    {
        if (AnnotateEventsOut) Parsers.CollectedEventParser.Annotate(e);
        // written before a restart, past the checkpoint (see CollectedEventParser.AfterCommitted): not again
        if (AlreadyWritten is { Count: > 0 } done && Parsers.CollectedEventParser.Key(e) is { } key && done.Remove(key)) return;
        events.WriteLine(w => EventJson.Write(w, e));
    }

    private List<Event>? Analyze(Event e)
    {
        List<Event>? findings = null;
        foreach (var analyzer in Analyzers) analyzer.Analyze(e, f => (findings ??= []).Add(f));
        return findings;
    }

    void IAlertSink.Emit(Alert alert, Event? trigger)
    {
        _alerts.Add();
        AlertsOut?.WriteLine(alert.WriteJson);
        AlertRaised?.Invoke(alert);
    }
}
