using System.Threading.Channels;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Inputs;

/// <summary>An input running against a bounded channel, stopped and awaited on dispose.</summary>
internal sealed class RunningInput : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<RawRecord> _channel;

    public RunningInput(IInput input, int capacity = 1000)
    {
        _channel = Channel.CreateBounded<RawRecord>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        input.Restore(null);
        Run = Task.Run(() => input.RunAsync(_channel.Writer, new InputRun(Follow: true, Metrics, NullLogger.Instance), _stop.Token));
    }

    public MetricsRegistry Metrics { get; } = new();
    public Task Run { get; }
    public ChannelReader<RawRecord> Records => _channel.Reader;

    /// <summary>The next record, failing the test when none comes in time.</summary>
    public async Task<RawRecord> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await _channel.Reader.ReadAsync(timeout.Token);
    }

    public async Task<List<string>> NextTextsAsync(int count)
    {
        var texts = new List<string>();
        for (var i = 0; i < count; i++) texts.Add((await NextAsync()).Text);
        return texts;
    }

    /// <summary>The value of a counter with these labels (0 when never bumped).</summary>
    public long Counter(string name, string labels) =>
        Metrics.Snapshot().Where(m => m.Name == name && m.Labels == labels).Select(m => m.Value).FirstOrDefault();

    /// <summary>Waits until a counter reaches a value, failing the test when it does not in time.</summary>
    public async Task UntilCounterAsync(string name, string labels, long value)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (Counter(name, labels) < value)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{name}{labels} stayed at {Counter(name, labels)}, not {value}");
            await Task.Delay(10);
        }
    }

    /// <summary>Cancels and returns how long the input took to stop.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        var started = DateTime.UtcNow;
        await _stop.CancelAsync();
        await Run.WaitAsync(Patience);
        return DateTime.UtcNow - started;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
