using System.CommandLine;
using System.Text.Json;
using Gumshoe.Engine.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe cluster status</c>: members, partition ownership and consumer lag of a scaled-out deployment.</summary>
public static class ClusterCommand
{
    public static Command Create()
    {
        var dataDir = DbCommand.DataDirOption();
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object" };
        var status = new Command("status", "Members, partition owners, snapshot positions and consumer lag") { dataDir, json };
        status.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var options = GlobalOptions.LoadConfig(r).Components.Cluster;
            if (options is null)
            {
                Console.Error.WriteLine("error: the config has no cluster: section");
                return 2;
            }
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            ClusterStatusReport report;
            try
            {
                await using var connection = await ClusterConnection.OpenAsync(options, "gumshoe-status", NullLogger.Instance, timeout.Token);
                report = await ClusterStatusReport.ReadAsync(connection, store.Cluster, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"error: NATS at {string.Join(",", options.Servers)} did not answer within 20 s");
                return 1;
            }
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            Console.WriteLine($"members ({report.Members.Count}):");
            foreach (var m in report.Members)
                Console.WriteLine($"  {m.Role,-8} {m.Id,-40} up since {m.Started:u}, heard {(DateTimeOffset.UtcNow - m.Heartbeat).TotalSeconds:F0}s ago  {m.Info}");
            Console.WriteLine($"event stream {options.EventStream}: {report.StreamEvents?.ToString() ?? "absent"} events; alerts waiting for responders: {report.AlertsPending?.ToString() ?? "-"}");
            Console.WriteLine("partition  owner                                     epoch  lease  snapshot@  lag (unread)  unacked");
            foreach (var p in report.Partitions)
                Console.WriteLine($"{p.Partition,9}  {p.Owner ?? "-",-40} {p.Epoch,6}  {(p.LeaseLive ? "live" : "free"),5}  {p.SnapshotAt?.ToString() ?? "-",9}  {p.Pending?.ToString() ?? "-",12}  {p.AckPending?.ToString() ?? "-",7}");
            return 0;
        });
        return new Command("cluster", "A scaled-out deployment (NATS JetStream + PostgreSQL)") { status };
    }
}
