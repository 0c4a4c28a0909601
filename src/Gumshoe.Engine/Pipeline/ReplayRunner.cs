using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Replays historical files through the pipeline as fast as possible, merged in event-time order (ties keep file
/// order), with year-less stamps placed against each file's last-write time.
/// </summary>
/// <remarks>
/// When only rules see the events and the parser can say which literals each <c>event.action</c> needs, lines that
/// cannot yield an action any rule may match are recognised on their raw bytes and skipped without decoding or
/// parsing (<see cref="ILinePrefilter"/>); their event time still moves the rules' clock, so alerts are the same.
/// </remarks>
public sealed class ReplayRunner(EventPipeline pipeline, string inputName, IParser parser, TimeZoneInfo zone)
{
    /// <summary>Called now and then with bytes read so far (for a progress bar).</summary>
    public Action<long>? Progress { get; set; }

    /// <summary>The clock year-less stamps are placed against; default each file's last-write time.</summary>
    public DateTimeOffset? Reference { get; set; }

    /// <summary>Whether lines no rule can match may be skipped on their raw bytes (on by default; off to compare).</summary>
    public bool Prefilter { get; set; } = true;

    /// <summary>Events handled (skipped lines included: they are events no rule could match).</summary>
    public long Events { get; private set; }

    /// <summary>Lines the prefilter skipped.</summary>
    public long Skipped { get; private set; }

    /// <summary>A parsed event, or the event time of a line the prefilter skipped.</summary>
    private readonly record struct Item(Event? Event, DateTimeOffset Timestamp);

    /// <summary>A line read: its text, or (text null) the event time of a line the prefilter skipped.</summary>
    private readonly record struct Line(string? Text, long Offset, DateTimeOffset SkippedAt);

    public void Run(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var prefilter = BuildPrefilter();
        pipeline.Rules.StampArrivals = false; // a replay's clock is event time only
        var streams = new List<IEnumerator<Item>>();
        long bytes = 0;
        foreach (var f in files) streams.Add(Parse(f, prefilter, b => bytes += b).GetEnumerator());
        if (streams.Count == 1)
        {
            // one file: nothing to merge
            var only = streams[0];
            while (only.MoveNext()) Handle(only.Current, ref bytes, cancellationToken);
        }
        else
        {
            var heads = new PriorityQueue<int, (DateTimeOffset, int)>();
            for (var i = 0; i < streams.Count; i++)
                if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
            while (heads.TryDequeue(out var i, out _))
            {
                Handle(streams[i].Current, ref bytes, cancellationToken);
                if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
            }
        }
        Progress?.Invoke(bytes);
    }

    private void Handle(Item item, ref long bytes, CancellationToken cancellationToken)
    {
        if (item.Event is { } e) pipeline.Handle(e);
        else
        {
            pipeline.HandleUnmatchable(inputName, parser, item.Timestamp);
            Skipped++;
        }
        if ((++Events & 0xFFFF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Progress?.Invoke(bytes);
        }
    }

    // Conservative: any doubt (something besides rules sees events, a parser that cannot tell) means no prefilter.
    private ILinePrefilter? BuildPrefilter()
    {
        if (!Prefilter || !pipeline.OnlyRulesSeeEvents || inputName.StartsWith("rule:", StringComparison.Ordinal) || parser is not IPrefilteringParser p)
            return null;
        return p.PrefilterFor(pipeline.Rules.PossibleValues(Ecs.EventAction, p.EventActions));
    }

    private IEnumerable<Item> Parse(string file, ILinePrefilter? prefilter, Action<long> onBytes)
    {
        var reader = new LogFileReader(file);
        var lastWrite = Reference ?? reader.LastWrite;
        var context = new ParseContext { TimeZone = zone, Years = new YearInference { Reference = () => lastWrite } };
        var path = file == "-" ? null : Path.GetFullPath(file);
        var lines = new List<Line>();
        LineSplitter.RawLineHandler onLine = (bytes, offset, _, problems) =>
        {
            if (prefilter is not null && prefilter.CanSkip(bytes, context, out var at)) lines.Add(new Line(null, offset, at));
            else lines.Add(new Line(LineSplitter.Decode(bytes, ref problems), offset, default));
        };
        long read = 0;
        // one read buffer at a time; lines are parsed as they are pulled
        foreach (var position in reader.FeedLines(onLine))
        {
            foreach (var line in lines)
            {
                if (line.Text is null)
                {
                    yield return new Item(null, line.SkippedAt);
                    continue;
                }
                var e = pipeline.Parse(inputName, parser, context, line.Text, path, line.Offset, lastWrite);
                if (e is not null) yield return new Item(e, e.Timestamp);
            }
            lines.Clear();
            onBytes(position - read);
            read = position;
        }
    }
}
