using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>What a provider needs to read one window: the window, the API client and a guard against cursor loops.</summary>
public sealed class WindowRead(string stream, PollWindow window, ApiClient api, PollerOptions options, ILogger logger, Action<string> problem)
{
    private readonly HashSet<string> _tokens = new(StringComparer.Ordinal);

    public string Stream { get; } = stream;
    public PollWindow Window { get; } = window;
    public ApiClient Api { get; } = api;
    public PollerOptions Options { get; } = options;
    public ILogger Logger { get; } = logger;

    /// <summary>
    /// Whether a page token (cursor, next URL) is new in this window. An API that hands out a token twice would
    /// loop forever; the repeat is counted and paging stops (everything up to it was read).
    /// </summary>
    public bool FirstVisit(string token)
    {
        if (_tokens.Add(token)) return true;
        problem("repeated_page_token");
        Logger.LogWarning("stream {Stream}: the API returned a page token it returned before; stopping this window's paging there", Stream);
        return false;
    }

    /// <summary>
    /// The events of a page's JSON array that have an id and a time (<paramref name="identify"/>); the others are
    /// counted and skipped, named by <paramref name="what"/> and their place on <paramref name="page"/>.
    /// </summary>
    public List<PolledItem> Items(JsonElement array, Uri page, string what, Func<JsonElement, (string? Id, DateTimeOffset? Time)> identify)
    {
        var items = new List<PolledItem>();
        if (array.ValueKind != JsonValueKind.Array) return items;
        var n = 0;
        foreach (var item in array.EnumerateArray())
        {
            n++;
            if (identify(item) is ({ } id, { } time)) items.Add(new PolledItem(id, time, item.GetRawText()));
            else BadItem("item_without_id", $"{ApiClient.Redact(page)} {what} {n}");
        }
        return items;
    }

    /// <summary>Counts a flaw in the API's data (an item without an id or time) and logs where it was.</summary>
    public void BadItem(string reason, string where)
    {
        problem(reason);
        Logger.LogWarning("stream {Stream}: {Reason} at {Where}; item skipped", Stream, reason.Replace('_', ' '), where);
    }
}

/// <summary>
/// The polling loop every SaaS poller shares: for each stream, read the window
/// [watermark − overlap, now − safety lag] page by page, skip ids already delivered, write the rest as records
/// (raw JSON of one event each), and move the watermark once the window was read to its end and acknowledged.
/// A failed window is read again at the next poll; what it delivered before failing is remembered, so nothing is
/// repeated. See <see cref="PollStream"/> for the checkpoint.
/// </summary>
public abstract class SaasPoller : IInput
{
    private readonly Dictionary<string, PollStream> _streams;

    protected SaasPoller(string name, IParser parser, PollerOptions options, IEnumerable<string> streams)
    {
        Name = name;
        Parser = parser;
        Options = options;
        _streams = streams.ToDictionary(s => s, s => new PollStream(name, s, options), StringComparer.Ordinal);
    }

    public string Name { get; }
    public IParser Parser { get; }
    public ParseContext ParseContext { get; } = new() { TimeZone = TimeZoneInfo.Utc };
    public PollerOptions Options { get; }

    /// <summary>The streams by name (one per Google application, else one).</summary>
    public IReadOnlyDictionary<string, PollStream> Streams => _streams;

    /// <summary>What to tell the operator on 401/403: the scope, role or permission the credentials need.</summary>
    protected abstract string AccessHint { get; }

    /// <summary>Adds credentials to each request; null when the API needs none.</summary>
    protected abstract IRequestAuthenticator? Authenticator { get; }

    /// <summary>Reads every page of a window, newest or oldest first as the API returns them.</summary>
    protected abstract IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, CancellationToken cancellationToken);

    /// <summary>The clock (tests move it).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>Completes after the first poll of every stream ended (read, failed or nothing to read).</summary>
    public TaskCompletionSource FirstPollDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Restore(JsonNode? state)
    {
        var streams = (state as JsonObject)?["streams"] as JsonObject;
        foreach (var (name, stream) in _streams) stream.Restore(streams?[name]);
    }

    public JsonNode? Checkpoint()
    {
        var streams = new JsonObject();
        foreach (var (name, stream) in _streams) streams[name] = stream.Checkpoint();
        return new JsonObject { ["streams"] = streams };
    }

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        var counters = new InputCounters(Name, run.Metrics);
        using var api = new ApiClient(Name, Options, Authenticator, AccessHint, run.Metrics, run.Logger);
        var events = run.Metrics.Counter("gumshoe_poller_events_total", "input", Name);
        var duplicates = run.Metrics.Counter("gumshoe_poller_duplicates_total", "input", Name);
        var windows = run.Metrics.Counter("gumshoe_poller_windows_total", "input", Name);
        void Problem(string reason) => counters.Problem(reason);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var behind = false;
                foreach (var stream in _streams.Values)
                {
                    // the previous window is folded only once the pipeline acknowledged all of it
                    while (!stream.AllAcked) await Task.Delay(20, cancellationToken);
                    stream.Fold();
                    var now = Clock();
                    if (stream.NextWindow(now) is not { } window) continue;
                    var cursor = stream.Begin(window);
                    var read = new WindowRead(stream.Name, window, api, Options, run.Logger, Problem);
                    try
                    {
                        var batch = new List<RawRecord>();
                        await foreach (var page in ReadAsync(read, cancellationToken))
                        {
                            foreach (var item in page)
                            {
                                // the API's own bounds may be inclusive or coarser than ours: the window is [start, end]
                                if (item.Time < window.Start || item.Time > window.End) continue;
                                if (stream.Knows(item.Id)) { duplicates.Add(); continue; }
                                var seq = stream.Add(item.Id, item.Time);
                                batch.Add(new RawRecord(item.Json, cursor, seq, seq + 1, DateTimeOffset.UtcNow) { Context = ParseContext });
                            }
                            events.Add(batch.Count);
                            counters.Lines.Add(batch.Count);
                            await RecordWriter.WriteAllAsync(batch, output, counters, cancellationToken);
                        }
                        stream.Complete();
                        windows.Add();
                        if (stream.Behind(window, Clock())) behind = true;
                        run.Logger.LogDebug("input {Input}: stream {Stream} read {Start:o} .. {End:o}", Name, stream.Name, window.Start, window.End);
                    }
                    catch (ApiAccessDeniedException ex)
                    {
                        run.Logger.LogError("input {Input}: access denied: {Error}", Name, ex.Message);
                    }
                    catch (ApiRequestException ex)
                    {
                        run.Logger.LogError("input {Input}: stream {Stream}: {Error}; the window is read again at the next poll", Name, stream.Name, ex.Message);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not ChannelClosedException)
                    {
                        counters.Error("unexpected");
                        run.Logger.LogError(ex, "input {Input}: stream {Stream}: unexpected failure; the window is read again at the next poll", Name, stream.Name);
                    }
                }
                FirstPollDone.TrySetResult();
                if (!behind) await Task.Delay(Options.Interval, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (ChannelClosedException) { }
    }

    /// <summary>Reads the options every poller shares plus the parser; <paramref name="defaultParser"/> names its pack.</summary>
    protected static (string Name, IParser Parser, PollerOptions Options) Common(ConfigNode node, ComponentContext context, string defaultParser, PollerOptions defaults)
    {
        var name = node.Required("name").AsString();
        var parserNode = node.Get("parser");
        var parser = context.ResolveParser(parserNode?.AsString() ?? defaultParser, parserNode ?? node);
        return (name, parser, PollerOptions.Read(node, defaults));
    }

    /// <summary>A required, non-empty setting (a token, an id); the message says which key and why.</summary>
    protected static string Required(ConfigNode node, string key, string what)
    {
        var n = node.Get(key) ?? throw node.Error($"missing required key '{key}' ({what})");
        var value = n.AsString();
        return value.Length > 0 ? value : throw n.Error($"'{key}' is empty ({what})");
    }

    /// <summary>An absolute http(s) base URL without a trailing slash.</summary>
    protected static string BaseUrl(ConfigNode node, string key, string fallback)
    {
        var n = node.Get(key);
        var text = n is { IsNull: false } ? n.AsString() : "";
        if (text.Length == 0) text = fallback;
        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw (n ?? node).Error($"'{key}' must be an http(s) URL, got '{text}'");
        return uri.AbsoluteUri.TrimEnd('/');
    }
}
