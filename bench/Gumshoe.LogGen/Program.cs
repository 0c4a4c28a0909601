using System.Globalization;
using System.Text;
using Gumshoe.LogGen;

// gumshoe-loggen sshd --lines N [--seed S] [--start RFC3339] [--out FILE]: a deterministic sshd auth log.
if (args.Length == 0 || args[0] != "sshd")
{
    Console.Error.WriteLine("usage: Gumshoe.LogGen sshd --lines N [--seed S] [--start 2026-01-01T00:00:00Z] [--out FILE]");
    return 2;
}
long lines = 1_000_000;
ulong seed = 1;
var start = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
string? outPath = null;
for (var i = 1; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--lines": lines = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--start": start = DateTime.Parse(args[i + 1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal); break;
        case "--out": outPath = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
var gen = new SshdLogGenerator(seed, start);
using var output = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
using var w = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
for (long n = 0; n < lines; n++) { w.Write(gen.NextLine()); w.Write('\n'); }
return 0;
