using Gumshoe.Engine.Actions;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// Where components find the store: the <c>storage:</c> section fills <see cref="Options"/> at config load, the
/// host (run, replay, a CLI command) sets <see cref="DataDirectory"/>, and the store is opened (and migrated) on
/// first use, once. Decision actions also register their <c>on_apply</c>/<c>on_release</c> effects here, by id,
/// for the outbox runner.
/// </summary>
public sealed class StoreProvider : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private GumshoeStore? _store;

    /// <summary>The <c>storage:</c> section, or the embedded default.</summary>
    public StorageOptions Options { get; set; } = StorageOptions.Default;

    /// <summary>Whether the config has a <c>storage:</c> section.</summary>
    public bool Configured { get; set; }

    /// <summary>Where the SQLite file (and other embedded state) lives; the host sets it from <c>--data-dir</c>.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Whether anything asked for the store (a decision action, a section).</summary>
    public bool Wanted => Configured || Effects.Count > 0 || DecisionActions > 0;

    /// <summary>Number of decision actions in the config.</summary>
    public int DecisionActions { get; set; }

    /// <summary>Transition effects by id (see <see cref="RegisterEffect"/>): what the outbox runner executes.</summary>
    public Dictionary<string, IAction> Effects { get; } = new(StringComparer.Ordinal);

    /// <summary>Registers an effect under a stable id (the caller derives it from the effect's configuration).</summary>
    public string RegisterEffect(string id, IAction action)
    {
        Effects.TryAdd(id, action);
        return id;
    }

    /// <summary>The open store; opened and migrated on the first call.</summary>
    public async Task<GumshoeStore> GetAsync(CancellationToken ct = default)
    {
        if (_store is { } s) return s;
        await _gate.WaitAsync(ct);
        try
        {
            return _store ??= await GumshoeStore.OpenAsync(Options, DataDirectory, Clock, ct);
        }
        finally { _gate.Release(); }
    }

    /// <summary><c>$XDG_STATE_HOME/gumshoe</c>, else <c>~/.local/state/gumshoe</c>.</summary>
    public static string DefaultDataDirectory()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? ".", ".local", "state");
        return Path.Combine(state, "gumshoe");
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is { } s) await s.DisposeAsync();
        _store = null;
    }
}
