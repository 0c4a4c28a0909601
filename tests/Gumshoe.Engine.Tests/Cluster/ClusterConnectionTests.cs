using Gumshoe.Engine.Cluster;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Cluster;

/// <summary>Publishing to the event stream: a message id the stream already holds is a success, not an error.</summary>
public sealed class ClusterConnectionTests
{
    [Fact]
    public async Task PublishingAnIdTheStreamHoldsReturnsAndStoresItOnce()
    {
        await using var nats = await NatsTestCluster.StartAsync();
        var options = new ClusterOptions { Servers = [nats.Urls], Name = "dup", Partitions = 1, PartitionBy = GroupKey.Parse(Parsers.ParserTestKit.Node("[source.ip]")), Replicas = 3 };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var connection = await ClusterConnection.OpenAsync(options, "test", NullLogger.Instance, timeout.Token);
        var subject = options.Name + ".events.0";
        // the second and third are what a collector sends again after a lost acknowledgement or a restart
        for (var i = 0; i < 3; i++)
            await connection.PublishAsync(subject, "{\"n\":1}"u8.ToArray(), "file:auth.log@0", null, timeout.Token);
        await connection.PublishAsync(subject, "{\"n\":2}"u8.ToArray(), "file:auth.log@10", null, timeout.Token);
        var stream = await connection.JetStream.GetStreamAsync(options.EventStream, cancellationToken: timeout.Token);
        Assert.Equal(2, stream.Info.State.Messages);
    }
}
