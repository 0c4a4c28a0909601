using System.Diagnostics;
using System.Text.Json;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;

namespace Gumshoe.Benchmarks;

/// <summary>Phase timings of the hot paths on a log file: <c>parse-phases FILE</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "parse-phases") { Console.Error.WriteLine("usage: parse-phases FILE"); return 2; }
        var file = args[1];
        for (var round = 0; round < 2; round++)
        {
            Time("read+split", file, (_, _) => { });
            var ctx = new ParseContext();
            var p = new SshdParser();
            Time("+header", file, (t, o) => { var e = new Event { Original = t, Offset = o }; p.Parse(t, e, ctx); });
            Time("+classify", file, (t, o) => { var e = new Event { Original = t, Offset = o }; p.Parse(t, e, ctx); e.Expand(); });
            using var sink = new Utf8JsonWriter(Stream.Null);
            Time("+json", file, (t, o) =>
            {
                var e = new Event { Original = t, Offset = o };
                p.Parse(t, e, ctx);
                EventJson.Write(sink, e);
                sink.Flush();
                sink.Reset();
            });
        }
        return 0;
    }

    private static void Time(string name, string file, Action<string, long> perLine)
    {
        var sw = Stopwatch.StartNew();
        var gc0 = GC.CollectionCount(0);
        var alloc0 = GC.GetTotalAllocatedBytes();
        long n = 0;
        new LogFileReader(file).ReadAll((t, o, _, _) => { perLine(t, o); n++; });
        Console.WriteLine($"{name,-12} {sw.Elapsed.TotalMilliseconds,8:F0} ms  {n} lines  {(GC.GetTotalAllocatedBytes() - alloc0) / n} B/line  gc0={GC.CollectionCount(0) - gc0}");
    }
}
