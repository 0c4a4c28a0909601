using Gumshoe.Engine.Storage;
using Npgsql;

namespace Gumshoe.Engine.Tests.Storage;

/// <summary>A clock the tests move by hand.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>A fresh, empty database of one backend for one test, removed afterwards.</summary>
public abstract class TestDatabase : IAsyncDisposable
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("gumshoe-store-").FullName;
    public abstract StorageOptions Options { get; }
    public TestClock Clock { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Opens (and migrates) the store, as a restarted process would.</summary>
    public Task<GumshoeStore> OpenAsync(StorageOptions? options = null) => GumshoeStore.OpenAsync(options ?? Options, DataDirectory, Clock);

    public virtual ValueTask DisposeAsync()
    {
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>SQLite: a file in a temporary data directory.</summary>
public sealed class SqliteTestDatabase : TestDatabase
{
    public override StorageOptions Options => StorageOptions.Default;
}

/// <summary>
/// PostgreSQL from <c>scripts/services/postgres.sh</c> (<c>GUMSHOE_TEST_POSTGRES</c>): each test gets its own schema
/// in the shared database, through the connection's search path. Fails when the variable is not set.
/// </summary>
public sealed class PostgresTestDatabase : TestDatabase
{
    private readonly string _admin;
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N")[..16];

    public PostgresTestDatabase()
    {
        _admin = Environment.GetEnvironmentVariable("GUMSHOE_TEST_POSTGRES") is { Length: > 0 } cs ? cs
            : throw new InvalidOperationException("GUMSHOE_TEST_POSTGRES is not set: run `source scripts/services/postgres.sh` (scripts/test.sh does)");
        using var conn = new NpgsqlConnection(_admin);
        conn.Open();
        using var cmd = new NpgsqlCommand($"CREATE SCHEMA {_schema}", conn);
        cmd.ExecuteNonQuery();
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { SearchPath = _schema }.ToString();
    }

    public string ConnectionString { get; }

    public override StorageOptions Options => new() { Type = StorageType.Postgres, ConnectionString = ConnectionString };

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var conn = new NpgsqlConnection(_admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        await base.DisposeAsync();
    }
}
