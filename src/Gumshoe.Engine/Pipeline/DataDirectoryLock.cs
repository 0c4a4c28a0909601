using System.Globalization;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// An exclusive hold on a checkpoint's directory for as long as a run uses it: two runs sharing one would each take
/// the other's checkpoint for their own, and read lines and run actions twice.
/// </summary>
/// <remarks>
/// A POSIX record lock on <c>checkpoint.lock</c>: the kernel drops it when the process ends, however it ends, so a
/// killed run never leaves a stale lock behind. The file names the holder (process id, start time) for the error a
/// second run gets. Record locks do not exclude the process that holds them, so holds within one process are kept
/// in a set as well.
/// </remarks>
public sealed class DataDirectoryLock : IDisposable
{
    private static readonly HashSet<string> HeldHere = new(StringComparer.Ordinal);
    private readonly FileStream _file;
    private readonly string _path;

    private DataDirectoryLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    /// <summary>Takes the hold on <paramref name="directory"/> (created if missing), or throws <see cref="DataDirectoryInUseException"/>.</summary>
    public static DataDirectoryLock Acquire(string directory) =>
        AcquireAsync(directory, TimeSpan.Zero, null, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Takes the hold, waiting up to <paramref name="wait"/> for another process to let go of it — a run restarted
    /// while the last one still writes its final checkpoint — and telling <paramref name="waiting"/> who holds it.
    /// </summary>
    public static async Task<DataDirectoryLock> AcquireAsync(string directory, TimeSpan wait, Action<string>? waiting, CancellationToken cancellationToken)
    {
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "checkpoint.lock");
        lock (HeldHere)
            if (!HeldHere.Add(path)) throw new DataDirectoryInUseException(directory, "another run in this process");
        FileStream? file = null;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            var since = System.Diagnostics.Stopwatch.StartNew();
            while (!OperatingSystem.IsMacOS()) // where .NET has no record locks; Gumshoe runs on Linux
            {
                try
                {
                    file.Lock(0, 1);
                    break;
                }
                catch (IOException) when (since.Elapsed < wait)
                {
                    if (waiting is not null)
                    {
                        waiting(Holder(file));
                        waiting = null;
                    }
                    await Task.Delay(100, cancellationToken);
                }
                catch (IOException)
                {
                    throw new DataDirectoryInUseException(directory, Holder(file));
                }
            }
            try
            {
                // who holds it, for the next run's error; a full disk must not stop the run that got the lock
                var text = $"pid {Environment.ProcessId}, since {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}\n";
                file.SetLength(0);
                file.Write(System.Text.Encoding.UTF8.GetBytes(text));
                file.Flush();
            }
            catch (IOException) { }
            return new DataDirectoryLock(file, path);
        }
        catch
        {
            file?.Dispose();
            lock (HeldHere) HeldHere.Remove(path);
            throw;
        }
    }

    private static string Holder(FileStream file)
    {
        try
        {
            file.Position = 0;
            var buffer = new byte[200];
            var n = file.Read(buffer);
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, n).Trim();
            return text.Length > 0 ? "another gumshoe, " + text : "another gumshoe";
        }
        catch (IOException) { return "another gumshoe"; }
    }

    /// <summary>Releases the hold (the lock file stays: deleting it could race a run that just opened it).</summary>
    public void Dispose()
    {
        _file.Dispose();
        lock (HeldHere) HeldHere.Remove(_path);
    }
}

/// <summary>A run was refused a data directory another run holds.</summary>
public sealed class DataDirectoryInUseException(string directory, string holder)
    : IOException($"data directory {directory} is in use by {holder}; give each run its own --data-dir")
{
    /// <summary>The directory asked for.</summary>
    public string Directory { get; } = directory;
}
