using System.Data.Common;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Npgsql;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class SqlLookupEnricherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-sql-").FullName;
    private readonly string _table = "assets_" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<Action> _cleanup = [];

    public void Dispose()
    {
        foreach (var c in _cleanup) c();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    public static TheoryData<string> Drivers => ["sqlite", "mysql", "postgres"];

    // Creates the test table in the driver's database and returns its connection string.
    private string Seed(string driver)
    {
        var (connection, conn) = driver switch
        {
            "sqlite" => ($"Data Source={Path.Combine(_dir, "assets.db")}", (DbConnection)new SqliteConnection($"Data Source={Path.Combine(_dir, "assets.db")}")),
            "mysql" => (TestServers.Require("GUMSHOE_TEST_MARIADB", "scripts/services/mariadb.sh"), new MySqlConnection(TestServers.Require("GUMSHOE_TEST_MARIADB", "scripts/services/mariadb.sh"))),
            _ => (TestServers.Require("GUMSHOE_TEST_POSTGRES", "scripts/services/postgres.sh"), new NpgsqlConnection(TestServers.Require("GUMSHOE_TEST_POSTGRES", "scripts/services/postgres.sh"))),
        };
        using (conn)
        {
            conn.Open();
            void Run(string sql)
            {
                using var cmd = conn.CreateCommand();
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }
            Run($"CREATE TABLE {_table} (ip VARCHAR(64), owner VARCHAR(64), department VARCHAR(64), floor INTEGER, tag VARCHAR(64))");
            Run($"INSERT INTO {_table} VALUES ('10.0.0.5', 'alice', 'finance', 3, 'laptop'), ('10.0.0.6', 'bob', NULL, 2, 'desktop'), ('10.0.0.6', 'bob', NULL, 2, 'phone')");
        }
        if (driver != "sqlite")
        {
            _cleanup.Add(() =>
            {
                using var c = driver == "mysql" ? (DbConnection)new MySqlConnection(connection) : new NpgsqlConnection(connection);
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = $"DROP TABLE {_table}";
                cmd.ExecuteNonQuery();
            });
        }
        return connection;
    }

    private static Event WithIp(string ip)
    {
        var e = new Event();
        e.Set("source.ip", ip);
        return e;
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void The_first_rows_columns_become_fields_under_the_prefix_or_their_mapped_names(string driver)
    {
        var connection = Seed(driver);
        using var lookup = new SqlLookupEnricher("assets", driver, connection,
            $"SELECT owner, department, floor FROM {_table} WHERE ip = @ip ORDER BY tag", [("ip", "source.ip")],
            new Dictionary<string, string> { ["owner"] = "host.owner" });
        var e = WithIp("10.0.0.5");
        lookup.Enrich(e);
        Assert.Equal("alice", e.GetString("host.owner"));
        Assert.Equal("finance", e.GetString("assets.department"));
        Assert.Equal(3, e.Get("assets.floor").AsLong());
        var nulls = WithIp("10.0.0.6");
        lookup.Enrich(nulls);
        Assert.Equal("bob", nulls.GetString("host.owner"));
        Assert.False(nulls.TryGet("assets.department", out _));   // SQL NULL sets nothing
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void With_rows_all_each_column_becomes_a_list_over_the_rows(string driver)
    {
        var connection = Seed(driver);
        using var lookup = new SqlLookupEnricher("assets", driver, connection,
            $"SELECT tag FROM {_table} WHERE ip = @ip ORDER BY tag", [("ip", "source.ip")], allRows: true);
        var e = WithIp("10.0.0.6");
        lookup.Enrich(e);
        Assert.Equal(["desktop", "phone"], e.Get("assets.tag").AsArray().Select(v => v.AsString()));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void An_event_value_is_bound_as_a_parameter_so_sql_in_it_finds_nothing(string driver)
    {
        var connection = Seed(driver);
        using var lookup = new SqlLookupEnricher("assets", driver, connection,
            $"SELECT owner FROM {_table} WHERE ip = @ip", [("ip", "source.ip")]);
        var e = WithIp("x' OR '1'='1");
        lookup.Enrich(e);
        Assert.False(e.TryGet("assets.owner", out _));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void A_query_slower_than_the_timeout_is_abandoned_counted_and_the_event_passes_through(string driver)
    {
        var connection = Seed(driver);
        var sleep = driver switch
        {
            "mysql" => $"SELECT owner, SLEEP(5) AS s FROM {_table} WHERE ip = @ip",
            "postgres" => $"SELECT owner, pg_sleep(5) AS s FROM {_table} WHERE ip = @ip",
            // SQLite has no sleep: a recursive count to a few hundred million takes seconds
            _ => $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000) SELECT owner, (SELECT count(*) FROM n) AS s FROM {_table} WHERE ip = @ip",
        };
        using var lookup = new SqlLookupEnricher("slow", driver, connection, sleep, [("ip", "source.ip")],
            options: new LookupOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        var metrics = new MetricsRegistry();
        lookup.Attach(metrics, NullLogger.Instance);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = WithIp("10.0.0.5");
        lookup.Enrich(e);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"took {sw.Elapsed}");
        Assert.False(e.TryGet("slow.owner", out _));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "sql_lookup.slow", "reason", "timeout").Value);
    }

    [Theory]
    [InlineData("mysql", "Server=127.0.0.1;Port={0};User ID=x;Password=y;Database=z;Connection Timeout=2")]
    [InlineData("postgres", "Host=127.0.0.1;Port={0};Username=x;Password=y;Database=z;Timeout=2")]
    public void A_server_that_is_down_is_counted_once_then_left_alone_until_retry_after_and_events_pass_unenriched(string driver, string template)
    {
        long now = 0;
        using var lookup = new SqlLookupEnricher("assets", driver, string.Format(template, TestServers.ClosedPort()),
            "SELECT owner FROM assets WHERE ip = @ip", [("ip", "source.ip")],
            options: new LookupOptions { RetryAfter = TimeSpan.FromSeconds(30) }, clock: () => now);
        var metrics = new MetricsRegistry();
        lookup.Attach(metrics, NullLogger.Instance);
        for (var i = 0; i < 5; i++)
        {
            var e = WithIp("10.0.0." + i);
            lookup.Enrich(e);
            Assert.Equal(1, e.FieldCount);
        }
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "sql_lookup.assets", "reason", "server_down").Value);
        Assert.Equal(4, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "sql_lookup.assets", "outcome", "skipped_server_down").Value);
        now = 30_000;
        lookup.Enrich(WithIp("10.0.0.9"));
        Assert.Equal(2, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "sql_lookup.assets", "reason", "server_down").Value);
    }

    [Fact]
    public void Answers_are_cached_until_their_time_to_live_and_not_found_for_a_shorter_time()
    {
        var connection = Seed("sqlite");
        long now = 0;
        using var lookup = new SqlLookupEnricher("assets", "sqlite", connection, $"SELECT owner FROM {_table} WHERE ip = @ip", [("ip", "source.ip")],
            options: new LookupOptions { CacheTtl = TimeSpan.FromMinutes(5), NegativeTtl = TimeSpan.FromMinutes(1) }, clock: () => now);
        var metrics = new MetricsRegistry();
        lookup.Attach(metrics, NullLogger.Instance);
        long Count(string outcome) => metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "sql_lookup.assets", "outcome", outcome).Value;
        lookup.Enrich(WithIp("10.0.0.5"));
        lookup.Enrich(WithIp("10.9.9.9"));
        using (var c = new SqliteConnection(connection))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"UPDATE {_table} SET owner = 'mallory' WHERE ip = '10.0.0.5'; INSERT INTO {_table} (ip, owner) VALUES ('10.9.9.9', 'new')";
            cmd.ExecuteNonQuery();
        }
        now = 59_000;
        var cached = WithIp("10.0.0.5");
        lookup.Enrich(cached);
        Assert.Equal("alice", cached.GetString("assets.owner"));
        var stillMissing = WithIp("10.9.9.9");
        lookup.Enrich(stillMissing);
        Assert.False(stillMissing.TryGet("assets.owner", out _));
        now = 61_000;
        var found = WithIp("10.9.9.9");
        lookup.Enrich(found);
        Assert.Equal("new", found.GetString("assets.owner"));
        now = 301_000;
        var refreshed = WithIp("10.0.0.5");
        lookup.Enrich(refreshed);
        Assert.Equal("mallory", refreshed.GetString("assets.owner"));
        Assert.Equal((3, 1, 2), (Count("found"), Count("not_found"), Count("cached")));
    }

    [Fact]
    public void Several_parameters_are_bound_from_their_fields_and_an_event_missing_one_is_counted()
    {
        var connection = Seed("sqlite");
        using var lookup = new SqlLookupEnricher("assets", "sqlite", connection,
            $"SELECT department FROM {_table} WHERE ip = @ip AND owner = @who", [("ip", "source.ip"), ("who", "user.name")]);
        var metrics = new MetricsRegistry();
        lookup.Attach(metrics, NullLogger.Instance);
        var e = WithIp("10.0.0.5");
        e.Set("user.name", "alice");
        lookup.Enrich(e);
        Assert.Equal("finance", e.GetString("assets.department"));
        lookup.Enrich(WithIp("10.0.0.5"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "sql_lookup.assets", "outcome", "missing_field").Value);
    }
}
