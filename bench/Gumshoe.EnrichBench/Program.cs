// Enrichment cost per login event: GeoIP (city + ASN) + user agent + identity, warm caches, on the SaaS sample
// logins; then the cold costs (first sight of an address or a user-agent string). Usage:
//   dotnet run -c Release --project bench/Gumshoe.EnrichBench [path/to/shared/data]
using System.Diagnostics;
using System.Text.Json;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Enrich.UserAgent;
using Gumshoe.Engine.Events;

var data = args.Length > 0 ? args[0] : "/work/shared/data";
var sw = Stopwatch.StartNew();
var parser = UserAgentParser.Default;
Console.WriteLine($"uap-core regexes loaded and compiled in {sw.ElapsedMilliseconds} ms");

using var geo = new GeoIpEnricher(Path.Combine(data, "geoip/GeoLite2-City-Test.mmdb"), Path.Combine(data, "geoip/GeoLite2-ASN-Test.mmdb"), [("source.ip", "source")]);
var ua = new UserAgentEnricher(parser);
var identity = new IdentityEnricher("example.com", identitiesFile: Path.Combine(data, "saas/identities.json"));
IEnricher[] enrichers = [geo, ua, identity];

var events = File.ReadLines(Path.Combine(data, "saas/expected/normalized_login_events.jsonl")).Select(line =>
{
    using var doc = JsonDocument.Parse(line);
    var e = new Event();
    EventJson.Flatten(e, doc.RootElement);
    foreach (var f in e.Fields.Select(f => f.Key).Where(k => k.StartsWith("source.geo") || k.StartsWith("source.as")).ToList()) e.Remove(f);
    return e;
}).ToArray();

// warm the caches and the JIT
for (var i = 0; i < 20_000; i++) foreach (var en in enrichers) en.Enrich(events[i % events.Length]);

const int Batch = 1000, Batches = 300;
var perEvent = new double[Batches];
long allocated = 0;
for (var b = 0; b < Batches; b++)
{
    var before = GC.GetAllocatedBytesForCurrentThread();
    var t = Stopwatch.GetTimestamp();
    for (var i = 0; i < Batch; i++)
    {
        var e = events[i % events.Length];
        foreach (var en in enrichers) en.Enrich(e);
    }
    perEvent[b] = Stopwatch.GetElapsedTime(t).TotalMicroseconds / Batch;
    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
}
Array.Sort(perEvent);
Console.WriteLine($"warm: geoip + user_agent + identity per event: median {perEvent[Batches / 2]:F2} µs, p90 {perEvent[Batches * 9 / 10]:F2} µs, " +
                  $"allocated {allocated / (double)(Batch * Batches):F1} B/event ({events.Length} distinct sample logins)");

// cold: every address new (cache misses) — random public IPv4 addresses, mostly not in the test DB
var rng = new Random(1);
var cold = Enumerable.Range(0, 20_000).Select(_ => { var e = new Event(); e.Set("source.ip", $"{rng.Next(1, 223)}.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(256)}"); return e; }).ToArray();
var t0 = Stopwatch.GetTimestamp();
foreach (var e in cold) geo.Enrich(e);
Console.WriteLine($"cold: geoip per new address: {Stopwatch.GetElapsedTime(t0).TotalMicroseconds / cold.Length:F2} µs");

var uas = File.ReadLines(Path.Combine(data, "useragent/test_ua.yaml")).Where(l => l.Contains("user_agent_string:"))
    .Select(l => l.Split("user_agent_string:", 2)[1].Trim().Trim('\'', '"')).ToList();
t0 = Stopwatch.GetTimestamp();
foreach (var s in uas) parser.Parse(s);
Console.WriteLine($"cold: user agent, first parse of each of {uas.Count} uap-core test strings (includes regex JIT): {Stopwatch.GetElapsedTime(t0).TotalMicroseconds / uas.Count:F0} µs");
var times = new List<double>();
foreach (var s in uas) { var t = Stopwatch.GetTimestamp(); parser.Parse(s); times.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds); }
times.Sort();
Console.WriteLine($"cold: user agent, uncached parse (client + os + device): median {times[times.Count / 2]:F0} µs, p90 {times[times.Count * 9 / 10]:F0} µs");
