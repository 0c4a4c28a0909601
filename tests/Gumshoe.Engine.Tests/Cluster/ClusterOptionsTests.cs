using Gumshoe.Engine.Cluster;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Tests.Cluster;

public sealed class ClusterOptionsTests
{
    private static GumshoeConfig Load(string yaml, Dictionary<string, string>? env = null)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("gumshoe-cluster-config-").FullName, "c.yml");
        File.WriteAllText(path, yaml);
        return GumshoeConfig.Load(path, BuiltInComponents.Create(), name => env?.GetValueOrDefault(name));
    }

    [Fact]
    public void The_example_config_reads_its_servers_from_the_environment()
    {
        var example = File.ReadAllText(Path.Combine(Inputs.Saas.SaasPollerTests.RepoRoot(), "examples", "cluster.yml"));
        var config = Load(example, new()
        {
            ["GUMSHOE_NATS_URL"] = "nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224",
            ["GUMSHOE_POSTGRES"] = "Host=127.0.0.1;Username=gumshoe;Password=x;Database=gumshoe",
            ["GUMSHOE_INPUT"] = "/var/log/auth.log",
        });
        var c = config.Components.Cluster!;
        Assert.Equal(["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"], c.Servers);
        Assert.Equal(3, c.Replicas);
        Assert.Equal("source.ip", c.PartitionBy.Spec);
        Assert.Equal(16, c.Partitions);
    }

    [Fact]
    public void Partitions_are_stable_and_spread()
    {
        var c = new ClusterOptions { Servers = ["nats://x"], PartitionBy = Gumshoe.Engine.Rules.GroupKey.Parse(null), Partitions = 16 };
        Assert.Equal(15, c.PartitionOf("112.95.230.3")); // fixed: collectors and analysers of any version must agree
        var counts = Enumerable.Range(0, 10_000).Select(i => c.PartitionOf($"10.0.{i / 256}.{i % 256}")).GroupBy(p => p).Select(g => g.Count()).ToList();
        Assert.Equal(16, counts.Count);
        Assert.All(counts, n => Assert.InRange(n, 400, 850));
    }

    [Theory]
    [InlineData("cluster: {nats: ''}", "at least one server")]
    [InlineData("cluster: {partition_by: [source.ip], nats: nats://a:4222, partitions: 0}", "")]
    [InlineData("cluster: {partition_by: [source.ip], nats: nats://a:4222, lease: 0s}", "longer than zero")]
    [InlineData("cluster: {partition_by: [source.ip], nats: nats://a:4222, colour: red}", "colour")]
    [InlineData("cluster: {partition_by: [source.ip], nats: nats://a:4222, name: 'a.b'}", "letters, digits")]
    [InlineData("cluster: {nats: nats://a:4222}", "partition_by")]
    public void Mistakes_are_errors_with_their_location(string yaml, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(yaml));
        Assert.Contains(message, ex.Message);
        Assert.Contains("c.yml:1:", ex.Message);
    }
}
