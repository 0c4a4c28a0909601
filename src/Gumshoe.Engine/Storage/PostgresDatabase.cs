using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Gumshoe.Engine.Storage;

/// <summary>The shared backend: PostgreSQL through one Npgsql data source; entity writes serialised by advisory locks.</summary>
public sealed class PostgresDatabase : Database
{
    // "gumshoe" in ASCII: the advisory lock key every starter of this database agrees on for migrations
    private const long MigrationLockKey = 0x67756d73686f65;
    private readonly NpgsqlDataSource _source;

    public PostgresDatabase(string connectionString) => _source = NpgsqlDataSource.Create(connectionString);

    public override string Kind => "postgres";

    internal override string AutoIdColumn => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    internal override async Task LockAsync(DbTransaction tx, string key, CancellationToken ct) =>
        await tx.Command("SELECT pg_advisory_xact_lock(@k)").With("@k", BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(key)))).ScalarAsync(ct);

    internal override async Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct)
    {
        await connection.Command("SELECT pg_advisory_lock(@k)").With("@k", MigrationLockKey).ScalarAsync(ct);
        return new AdvisoryLock(connection);
    }

    internal override async Task<HashSet<string>> TableNamesAsync(DbConnection connection, CancellationToken ct) =>
        [.. await connection.Command("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").ListAsync(r => r.GetString(0), ct)];

    public override ValueTask DisposeAsync() => _source.DisposeAsync();

    private sealed class AdvisoryLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await connection.Command("SELECT pg_advisory_unlock(@k)").With("@k", MigrationLockKey).ScalarAsync(CancellationToken.None);
    }
}
