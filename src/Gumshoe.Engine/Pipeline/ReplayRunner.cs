using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Replays historical files through the pipeline as fast as possible, merged in event-time order (ties keep file
/// order), with year-less stamps placed against each file's last-write time.
/// </summary>
public sealed class ReplayRunner(EventPipeline pipeline, string inputName, IParser parser, TimeZoneInfo zone)
{
    /// <summary>Called now and then with bytes read so far (for a progress bar).</summary>
    public Action<long>? Progress { get; set; }

    /// <summary>The clock year-less stamps are placed against; default each file's last-write time.</summary>
    public DateTimeOffset? Reference { get; set; }

    /// <summary>Events handled.</summary>
    public long Events { get; private set; }

    public void Run(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var streams = new List<IEnumerator<Event>>();
        long bytes = 0;
        foreach (var f in files) streams.Add(Parse(f, b => bytes += b).GetEnumerator());
        var heads = new PriorityQueue<int, (DateTimeOffset, int)>();
        for (var i = 0; i < streams.Count; i++)
            if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
        long n = 0;
        while (heads.TryDequeue(out var i, out _))
        {
            var e = streams[i].Current;
            pipeline.Handle(e);
            Events++;
            if ((++n & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Progress?.Invoke(bytes);
            }
            if (streams[i].MoveNext()) heads.Enqueue(i, (streams[i].Current.Timestamp, i));
        }
        Progress?.Invoke(bytes);
    }

    private IEnumerable<Event> Parse(string file, Action<long> onBytes)
    {
        var reader = new LogFileReader(file);
        var lastWrite = Reference ?? reader.LastWrite;
        var context = new ParseContext { TimeZone = zone, Years = new YearInference { Reference = () => lastWrite } };
        var path = file == "-" ? null : Path.GetFullPath(file);
        foreach (var (text, offset, end, problems) in reader.Lines())
        {
            onBytes(end - offset);
            var e = pipeline.Parse(inputName, parser, context, text, path, offset, lastWrite);
            if (e is not null) yield return e;
        }
    }
}
