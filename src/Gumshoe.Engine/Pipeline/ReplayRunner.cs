using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Replays historical files through the pipeline as fast as possible, merged in event-time order (ties keep file
/// order), with year-less stamps placed against each file's last-write time.
/// </summary>
/// <remarks>
/// Lines are parsed ahead on worker threads, a few blocks at a time (<see cref="ParallelLineReader{TBlock}"/>; a
/// single file is also read and cut into lines on a thread of its own); the calling thread counts them and runs
/// enrichers, analysers and rules, in line order, so the results are those of
/// parsing one line after the other. When only rules see the events and the parser can say which literals each
/// <c>event.action</c> needs, lines that cannot yield an action any rule may match are recognised on their raw bytes
/// and skipped without decoding or parsing (<see cref="ILinePrefilter"/>); their event time still moves the rules'
/// clock, so alerts are the same. Then too, a parser with a direct path (<see cref="IDirectEventParser"/>) makes the
/// kept lines' events from their bytes with only the fields the rules read (<see cref="Rules.RuleSet.ReadFields"/>).
/// </remarks>
public sealed class ReplayRunner(EventPipeline pipeline, string inputName, IParser parser, TimeZoneInfo zone)
{
    // Events wait in their block until the rules take them, and those still waiting when the collector runs are
    // promoted: 64 KiB blocks (about 180 events each in an sshd replay) keep that small (measured, native build, 1M
    // lines: 0.73–0.75 s against 0.77 s with 32 KiB and 0.78 s with 128 KiB). A merge of many files takes smaller
    // ones still, so that the blocks parsed ahead for every file stay within a few megabytes.
    private const int BlockBytes = 64 << 10;
    private const int MergeBytes = 1 << 20;

    /// <summary>Called now and then with bytes read so far (for a progress bar).</summary>
    public Action<long>? Progress { get; set; }

    /// <summary>The clock year-less stamps are placed against; default each file's last-write time.</summary>
    public DateTimeOffset? Reference { get; set; }

    /// <summary>Whether lines no rule can match may be skipped on their raw bytes (on by default; off to compare).</summary>
    public bool Prefilter { get; set; } = true;

    /// <summary>
    /// Whether, when only rules see the events, a parser's direct path may make them from the lines' bytes with only
    /// the fields rules read (on by default; off to compare).
    /// </summary>
    public bool DirectRead { get; set; } = true;

    /// <summary>Lines made into events by the parser's direct path (<see cref="DirectRead"/>).</summary>
    public long DirectLines => Interlocked.Read(ref _directLines);

    private long _directLines;

    /// <summary>Threads parsing ahead (default one per core); 0 parses on the calling thread.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Events handled (skipped lines included: they are events no rule could match).</summary>
    public long Events { get; private set; }

    /// <summary>Lines the prefilter skipped.</summary>
    public long Skipped { get; private set; }

    /// <summary>A parsed event, or the event time of a run of lines the prefilter skipped.</summary>
    private readonly record struct Item(Event? Event, DateTimeOffset Timestamp, int Skipped);

    /// <summary>
    /// What a worker made of one line (an event, or an outcome and its text), or of a run of lines the prefilter
    /// skipped that share an event time.
    /// </summary>
    private struct ParsedLine
    {
        public int Line;
        public int Skipped; // lines in the run; 0: a parsed line
        public DateTimeOffset SkippedAt;
        public Event? Event;
        public ParseOutcome Outcome;
        public string? Text;
    }

    // The lines' results, with skipped runs folded: the thread that runs the rules visits one entry per run, not per line.
    private sealed class ParsedBlock(int bytes) : LineBlock(bytes)
    {
        public ParsedLine[] Parsed = new ParsedLine[Math.Max(16, bytes / 64)];
        public int Entries;

        public override void Reset()
        {
            Array.Clear(Parsed, 0, Entries); // the events go with the block
            Entries = 0;
            base.Reset();
        }
    }

    // a run of skipped lines with one event time, handled as one: the clock moves once, and the rest would not move it
    private DateTimeOffset _skippedAt;
    private long _skippedRun;

    // parsed events wait here to go through the pipeline together (EventPipeline.HandleBatch: the rules take a batch
    // rule by rule, fetching the groups of events ahead), up to a thousand, in the order they came
    private const int BatchSize = 1024;
    private readonly Event[] _batch = new Event[BatchSize];
    private int _batched;

    public void Run(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var prefilter = BuildPrefilter();
        var direct = BuildDirectReaders();
        _skippedRun = 0; // a run cut short by a cancellation ends with it
        Array.Clear(_batch);
        _batched = 0;
        pipeline.Rules.StampArrivals = false; // a replay's clock is event time only
        var blockBytes = files.Count <= 1 ? BlockBytes : Math.Clamp(MergeBytes / files.Count, 16 << 10, BlockBytes);
        var blocks = new ParallelLineReader<ParsedBlock>(Math.Max(0, Workers), () => new ParsedBlock(blockBytes))
        {
            // one file: the rule thread, the slowest stage, leaves reading and cutting to a thread of their own
            ReadOnOwnThread = files.Count == 1,
        };
        // one block more than the workers keeps them busy while the oldest is handled
        var inFlight = files.Count <= 1 ? blocks.Workers + 1 : Math.Min(2, blocks.Workers + 1);
        var streams = new List<IEnumerator<Item>>();
        long bytes = 0;
        try
        {
            foreach (var f in files) streams.Add(Parse(f, prefilter, direct, blocks, inFlight, b => bytes += b).GetEnumerator());
            if (streams.Count == 1)
            {
                // one file: nothing to merge
                var only = streams[0];
                while (only.MoveNext()) Handle(only.Current, bytes, cancellationToken);
            }
            else
            {
                var heads = new PriorityQueue<int, (DateTimeOffset, int)>();
                for (var i = 0; i < streams.Count; i++)
                    if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
                while (heads.TryDequeue(out var i, out _))
                {
                    Handle(streams[i].Current, bytes, cancellationToken);
                    if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
                }
            }
            HandleBatch();
            HandleSkipped();
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
        Progress?.Invoke(bytes);
    }

    private void Handle(Item item, long bytes, CancellationToken cancellationToken)
    {
        if (item.Event is { } e)
        {
            HandleSkipped();
            _batch[_batched++] = e;
            if (_batched == BatchSize) HandleBatch();
        }
        else
        {
            HandleBatch();
            if (_skippedRun > 0 && item.Timestamp != _skippedAt) HandleSkipped();
            _skippedAt = item.Timestamp;
            _skippedRun += item.Skipped;
            Skipped += item.Skipped;
        }
        var before = Events;
        Events += item.Event is null ? item.Skipped : 1;
        if ((before >> 16) != (Events >> 16))
        {
            HandleBatch(); // what was counted is handled before a cancellation ends the run
            cancellationToken.ThrowIfCancellationRequested();
            Progress?.Invoke(bytes);
        }
    }

    private void HandleBatch()
    {
        if (_batched == 0) return;
        pipeline.HandleBatch(_batch.AsSpan(0, _batched));
        Array.Clear(_batch, 0, _batched);
        _batched = 0;
    }

    private void HandleSkipped()
    {
        if (_skippedRun == 0) return;
        pipeline.HandleUnmatchable(inputName, parser, _skippedAt, _skippedRun);
        _skippedRun = 0;
    }

    // What the prefilter and direct reading rest on: the events of this input go to the rules and nowhere else.
    private bool OnlyRulesSeeThem => pipeline.OnlyRulesSeeEvents && !inputName.StartsWith("rule:", StringComparison.Ordinal);

    // Like the prefilter: only rules may see the events, and they must say which fields they read.
    private Func<ParseContext, string?, IDirectEventReader>? BuildDirectReaders()
    {
        if (!DirectRead || !OnlyRulesSeeThem || parser is not IDirectEventParser p || pipeline.Rules.ReadFields() is not { } fields)
            return null;
        return (context, path) => p.CreateDirectReader(context, path, inputName, fields);
    }

    // Conservative: any doubt (something besides rules sees events, a parser that cannot tell) means no prefilter.
    private ILinePrefilter? BuildPrefilter()
    {
        if (!Prefilter || !OnlyRulesSeeThem || parser is not IPrefilteringParser p)
            return null;
        return p.PrefilterFor(pipeline.Rules.PossibleValues(Ecs.EventAction, p.EventActions));
    }

    private IEnumerable<Item> Parse(string file, ILinePrefilter? prefilter, Func<ParseContext, string?, IDirectEventReader>? direct,
        ParallelLineReader<ParsedBlock> blocks, int inFlight, Action<long> onBytes)
    {
        var reader = new LogFileReader(file);
        var lastWrite = Reference ?? reader.LastWrite;
        var context = new ParseContext { TimeZone = zone, Years = new YearInference { Reference = () => lastWrite } };
        var path = file == "-" ? null : Path.GetFullPath(file);
        // a reader keeps the line it works on: one per worker thread, for this file
        using var readers = direct is null ? null : new ThreadLocal<IDirectEventReader>(() => direct(context, path));
        long read = 0;
        var parsed = blocks.Read(reader, b => ParseBlock(b, prefilter, readers?.Value, context, path, lastWrite), inFlight, position =>
        {
            onBytes(position - read);
            read = position;
        });
        // counted here, in line order, on the thread that handles the events
        foreach (var block in parsed)
        {
            for (var j = 0; j < block.Entries; j++)
            {
                // another core built these events: fetch them ahead, the object four entries on, its field table two on
                // (by then its address is at hand) and what its fields refer to one on, so the rules wait for none
                if (j + 4 < block.Entries && block.Parsed[j + 4].Event is { } ahead) Event.Prefetch(ahead);
                if (j + 2 < block.Entries && block.Parsed[j + 2].Event is { } next) next.PrefetchFields();
                if (j + 1 < block.Entries && block.Parsed[j + 1].Event is { } soon) soon.PrefetchValues();
                ref var line = ref block.Parsed[j];
                if (line.Skipped > 0) yield return new Item(null, line.SkippedAt, line.Skipped);
                else
                {
                    pipeline.CountParsed(inputName, parser, line.Outcome, path, block.Offset(line.Line), line.Text ?? "");
                    if (line.Event is { } e) yield return new Item(e, e.Timestamp, 0);
                }
            }
        }
    }

    // on a worker
    private void ParseBlock(ParsedBlock block, ILinePrefilter? prefilter, IDirectEventReader? direct, ParseContext context, string? path, DateTimeOffset lastWrite)
    {
        if (block.Parsed.Length < block.Count) Array.Resize(ref block.Parsed, block.Count);
        var n = 0;
        var directLines = 0;
        for (var i = 0; i < block.Count; i++)
        {
            var bytes = block.Line(i);
            if (prefilter is not null && prefilter.CanSkip(bytes, context, out var at))
            {
                if (n > 0 && block.Parsed[n - 1] is { Skipped: > 0 } run && run.SkippedAt == at) block.Parsed[n - 1].Skipped++;
                else block.Parsed[n++] = new ParsedLine { Line = i, Skipped = 1, SkippedAt = at };
                continue;
            }
            ref var line = ref block.Parsed[n++];
            line.Line = i;
            var problems = block.Problems(i);
            if (direct is not null && problems == LineProblem.None && direct.TryRead(block.LineMemory(i), block.Offset(i)) is { } fast)
            {
                (line.Event, line.Outcome) = (fast, ParseOutcome.Matched);
                directLines++;
                continue;
            }
            var text = LineSplitter.Decode(bytes, ref problems);
            line.Event = EventPipeline.ParseUncounted(inputName, parser, context, text, path, block.Offset(i), lastWrite, out line.Outcome);
            // the deferred part of the parse too, here rather than on the thread the rules run on
            if (line.Event is { } e) e.Expand();
            else line.Text = text;
        }
        block.Entries = n;
        if (directLines > 0) Interlocked.Add(ref _directLines, directLines);
    }
}
