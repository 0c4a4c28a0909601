using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Inputs;

/// <summary>A run of whole lines as read (raw bytes, split as every input splits them); reused once consumed.</summary>
public class LineBlock
{
    /// <summary>The lines' bytes, one after the other, without their line ends.</summary>
    public byte[] Data { get; private set; }

    /// <summary>Bytes of <see cref="Data"/> in use.</summary>
    public int Length { get; private set; }

    /// <summary>Lines held.</summary>
    public int Count { get; private set; }

    private (int Start, int Length, long Offset, LineProblem Problems)[] _lines;

    /// <param name="bytes">Room for this many bytes of lines; a single longer line still fits.</param>
    public LineBlock(int bytes)
    {
        Data = new byte[bytes];
        _lines = new (int, int, long, LineProblem)[Math.Max(16, bytes / 64)];
    }

    /// <summary>Line <paramref name="i"/>'s bytes.</summary>
    public ReadOnlySpan<byte> Line(int i) => Data.AsSpan(_lines[i].Start, _lines[i].Length);

    /// <summary>Line <paramref name="i"/>'s bytes as memory.</summary>
    public ReadOnlyMemory<byte> LineMemory(int i) => Data.AsMemory(_lines[i].Start, _lines[i].Length);

    /// <summary>Byte offset of line <paramref name="i"/>'s start in its file.</summary>
    public long Offset(int i) => _lines[i].Offset;

    /// <summary>What was wrong with line <paramref name="i"/>'s bytes as read.</summary>
    public LineProblem Problems(int i) => _lines[i].Problems;

    internal bool Fits(int bytes) => Count < _lines.Length && Length + bytes <= Data.Length;

    internal void Add(ReadOnlySpan<byte> line, long offset, LineProblem problems)
    {
        if (Count == _lines.Length) Array.Resize(ref _lines, _lines.Length * 2);
        if (Length + line.Length > Data.Length)
        {
            var data = Data; // a line longer than a block
            Array.Resize(ref data, Length + line.Length);
            Data = data;
        }
        line.CopyTo(Data.AsSpan(Length));
        _lines[Count++] = (Length, line.Length, offset, problems);
        Length += line.Length;
    }

    /// <summary>Forgets the lines (and, in a derived block, what processing them gave), keeping the room.</summary>
    public virtual void Reset() => Length = Count = 0;
}

/// <summary>
/// Reads files as blocks of whole lines, has each block processed on a worker thread, and hands the processed blocks
/// back in input order, a few in flight at most: the parallel half of <c>parse</c> and <c>replay</c>.
/// </summary>
/// <remarks>
/// The consuming thread reads (cutting lines is cheap next to parsing them) and submits; workers take a slot of
/// <paramref name="workers"/>, not a pool thread each, because the pool may hold more threads than cores. Blocks are
/// recycled once the consumer moves past them. One reader serves several files read in step (a merge) as long as one
/// thread consumes them all.
/// </remarks>
public sealed class ParallelLineReader<TBlock>(int workers, Func<TBlock> newBlock) where TBlock : LineBlock
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, workers), Math.Max(1, workers));
    private readonly ConcurrentStack<TBlock> _free = new(); // rented by the reading thread, returned by the consumer

    /// <summary>Worker threads at most; 0 processes each block on the consuming thread as it is read.</summary>
    public int Workers { get; } = workers;

    /// <summary>
    /// Whether a thread of its own reads and cuts the lines (with workers only): the consuming thread then does
    /// nothing but consume, which matters where it is the slowest stage (a replay's rules). Meant for one file
    /// read at a time: a merge of many files would start a thread per file.
    /// </summary>
    public bool ReadOnOwnThread { get; init; }

    /// <summary>
    /// The file's blocks, each processed by <paramref name="process"/> on a worker, in file order; a block is valid
    /// until the enumeration moves on. <paramref name="onBytes"/> hears the bytes read so far, on the consuming thread.
    /// </summary>
    public IEnumerable<TBlock> Read(LogFileReader reader, Action<TBlock> process, int maxInFlight, Action<long>? onBytes = null) =>
        Workers > 0 && ReadOnOwnThread ? ReadAhead(reader, process, maxInFlight, onBytes) : ReadHere(reader, process, maxInFlight, onBytes);

    private IEnumerable<TBlock> ReadHere(LogFileReader reader, Action<TBlock> process, int maxInFlight, Action<long>? onBytes)
    {
        var inFlight = new Queue<(TBlock Block, Task Task)>();
        var full = new List<TBlock>();
        var cutter = new Cutter(this, full.Add);
        using var feed = reader.FeedLines(cutter.OnLine).GetEnumerator();
        var more = true;
        try
        {
            while (true)
            {
                while (more && inFlight.Count < maxInFlight)
                {
                    more = feed.MoveNext();
                    if (more) onBytes?.Invoke(feed.Current);
                    else if (cutter.Current.Count > 0) full.Add(cutter.Current);
                    foreach (var b in full) inFlight.Enqueue((b, Submit(b, process)));
                    full.Clear();
                }
                if (!inFlight.TryDequeue(out var next)) break;
                next.Task.GetAwaiter().GetResult();
                yield return next.Block;
                Return(next.Block);
            }
        }
        finally
        {
            // an abandoned enumeration (an error, a cancellation) still waits for its workers before the blocks go
            foreach (var (_, task) in inFlight)
                try { task.Wait(); } catch (AggregateException) { }
        }
    }

    // The reading thread fills blocks and submits them, at most maxInFlight ahead of the consumer; the consumer takes
    // them in order. A read error reaches the consumer after the blocks read before it, as it does in ReadHere.
    private IEnumerable<TBlock> ReadAhead(LogFileReader reader, Action<TBlock> process, int maxInFlight, Action<long>? onBytes)
    {
        using var ready = new BlockingCollection<(TBlock Block, Task Task)>(Math.Max(1, maxInFlight));
        using var stop = new CancellationTokenSource();
        var position = new StrongBox<long>();
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                void Hand(TBlock block)
                {
                    var task = Submit(block, process);
                    try { ready.Add((block, task), stop.Token); }
                    catch (OperationCanceledException)
                    {
                        try { task.Wait(); } catch (AggregateException) { } // not handed over: its worker is waited for here
                        throw;
                    }
                }
                var cutter = new Cutter(this, Hand);
                foreach (var read in reader.FeedLines(cutter.OnLine))
                {
                    Volatile.Write(ref position.Value, read);
                    stop.Token.ThrowIfCancellationRequested();
                }
                if (cutter.Current.Count > 0) Hand(cutter.Current);
            }
            finally { ready.CompleteAdding(); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // always runs: it completes `ready`
        try
        {
            foreach (var (block, task) in ready.GetConsumingEnumerable())
            {
                task.GetAwaiter().GetResult();
                onBytes?.Invoke(Volatile.Read(ref position.Value));
                yield return block;
                Return(block);
            }
            producer.GetAwaiter().GetResult();
            onBytes?.Invoke(Volatile.Read(ref position.Value));
        }
        finally
        {
            // an abandoned enumeration stops the reading thread and waits for every worker before the blocks go
            stop.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
            while (ready.TryTake(out var left))
                try { left.Task.Wait(); } catch (AggregateException) { }
        }
    }

    // Puts lines into the current block; a full one goes to `full` and a fresh one is rented.
    private sealed class Cutter(ParallelLineReader<TBlock> owner, Action<TBlock> full)
    {
        public TBlock Current = owner.Rent();

        public void OnLine(ReadOnlySpan<byte> bytes, long offset, long end, LineProblem problems)
        {
            if (!Current.Fits(bytes.Length) && Current.Count > 0)
            {
                full(Current);
                Current = owner.Rent();
            }
            Current.Add(bytes, offset, problems);
        }
    }

    private void Return(TBlock block)
    {
        block.Reset();
        _free.Push(block);
    }

    private TBlock Rent() => _free.TryPop(out var b) ? b : newBlock();

    private Task Submit(TBlock block, Action<TBlock> process)
    {
        if (Workers == 0)
        {
            process(block);
            return Task.CompletedTask;
        }
        return Task.Run(() =>
        {
            _slots.Wait();
            try { process(block); }
            finally { _slots.Release(); }
        });
    }
}
