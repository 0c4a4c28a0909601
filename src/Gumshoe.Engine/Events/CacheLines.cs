using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Gumshoe.Engine.Events;

/// <summary>Cache hints for events and the values they hold, read shortly (no effect where there is no prefetch instruction).</summary>
internal static class CacheLines
{
    /// <summary>
    /// Starts loading the first two cache lines of an object: an event's own fields (its time, file and offset) or a
    /// short string whole. A hint only: should the collector move the object first, the lines are merely not used.
    /// </summary>
    public static unsafe void Fetch(object o)
    {
        if (!Sse.IsSupported) return;
        var p = *(byte**)Unsafe.AsPointer(ref o);
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 64);
    }
}
