using System.Collections.Concurrent;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// A number for each file path events come from, so that rule state holds an int where it would hold the path:
/// moving a window's slots that hold no reference is a plain copy, which marks no card of the (old, large) table the
/// collector would then scan at every collection. Paths are few (the files read), so numbers are never given back.
/// </summary>
internal static class EventPaths
{
    private static readonly ConcurrentDictionary<string, int> Ids = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static Numbered?[] _byId = new Numbered?[16]; // 0 stands for no path
    private static int _count = 1;
    private static Numbered? _last; // the path numbered last: events come in runs from one file

    // One per path, made once: remembering the last one costs no allocation when events alternate between files.
    private sealed record Numbered(string Path, int Id);

    /// <summary>The number of a path (0 for none).</summary>
    public static int IdOf(string? path)
    {
        if (path is null) return 0;
        if (_last is { } last && ReferenceEquals(last.Path, path)) return last.Id;
        if (!Ids.TryGetValue(path, out var id))
            lock (Gate)
            {
                if (!Ids.TryGetValue(path, out id))
                {
                    id = _count++;
                    var byId = _byId;
                    if (id == byId.Length) Array.Resize(ref byId, id * 2);
                    byId[id] = new Numbered(path, id);
                    Volatile.Write(ref _byId, byId); // the path is in place before its number is handed out
                    Ids[path] = id;
                }
            }
        _last = Volatile.Read(ref _byId)[id];
        return id;
    }

    /// <summary>The path a number stands for (null for 0).</summary>
    public static string? PathOf(int id) => Volatile.Read(ref _byId)[id]?.Path;
}
