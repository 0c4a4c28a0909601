using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Keeps the one checkpoint of a data directory: input positions, rule state and output lengths, written together
/// as one file replaced atomically (write, fsync, rename, fsync the folder), so after a crash either the old or the
/// new checkpoint is there, never a mix.
/// </summary>
public sealed class CheckpointStore(string dataDirectory)
{
    public string Directory { get; } = System.IO.Path.GetFullPath(dataDirectory);
    public string Path => System.IO.Path.Combine(Directory, "checkpoint.json");

    /// <summary>Holds the directory for one run (see <see cref="DataDirectoryLock"/>); take it before <see cref="Load"/>.</summary>
    public DataDirectoryLock Hold() => DataDirectoryLock.Acquire(Directory);

    /// <summary>
    /// Holds the directory for one run, waiting as long as a run being stopped may take to write its last checkpoint
    /// (10 s) for another process to let go of it; null when <paramref name="stop"/> ends the wait.
    /// </summary>
    public async Task<DataDirectoryLock?> HoldAsync(ILogger logger, CancellationToken stop)
    {
        try
        {
            return await DataDirectoryLock.AcquireAsync(Directory, TimeSpan.FromSeconds(10),
                holder => logger.LogWarning("data directory {Directory} is held by {Holder}; waiting up to 10 s for it to stop", Directory, holder), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { return null; }
    }

    /// <summary>The last committed checkpoint, or null on a first start.</summary>
    public JsonObject? Load()
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!File.Exists(Path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(Path)) as JsonObject; }
        catch (JsonException ex) { throw new InvalidDataException($"{Path}: corrupt checkpoint: {ex.Message}", ex); }
    }

    /// <summary>Commits a checkpoint durably; throws when the folder is read-only or full.</summary>
    public void Commit(JsonObject checkpoint)
    {
        var tmp = Path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            using (var w = new Utf8JsonWriter(fs)) checkpoint.WriteTo(w);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, Path, overwrite: true);
        FsyncDirectory();
    }

    private void FsyncDirectory()
    {
        try
        {
            using var dir = File.OpenHandle(Directory, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.None);
            RandomAccess.FlushToDisk(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { } // some filesystems refuse: rename is still atomic
    }
}
