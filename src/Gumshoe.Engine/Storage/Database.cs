using System.Data;
using System.Data.Common;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// One backend of the store: opens connections, runs write transactions and fills the few places where SQLite and
/// PostgreSQL SQL differ. All other SQL is shared: <c>@name</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c>,
/// times as <c>BIGINT</c> Unix milliseconds, JSON as <c>TEXT</c>.
/// </summary>
public abstract class Database : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Column definition of an auto-numbered primary key.</summary>
    internal abstract string AutoIdColumn { get; }

    /// <summary>Opens a ready connection.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Starts a write transaction (SQLite: <c>BEGIN IMMEDIATE</c>, so two writers queue instead of deadlocking).</summary>
    internal virtual ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    /// <summary>
    /// Serialises writers of one entity until the transaction ends, so two nodes deciding about the same entity
    /// at once see each other's result. SQLite already has one writer at a time.
    /// </summary>
    internal abstract Task LockAsync(DbTransaction tx, string key, CancellationToken ct);

    /// <summary>Holds the database-wide migration lock until disposed (PostgreSQL: an advisory lock).</summary>
    internal abstract Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Names of the tables, for export.</summary>
    internal abstract Task<HashSet<string>> TableNamesAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it.</summary>
    public async Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(conn, ct);
        var result = await work(tx);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Runs a read on its own connection.</summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        return await work(conn);
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>Opens the backend the options name; SQLite files go to the data directory unless a path is given.</summary>
    public static Database Create(StorageOptions options, string dataDirectory) => options.Type switch
    {
        StorageType.Postgres => new PostgresDatabase(options.ConnectionString
            ?? throw new InvalidOperationException("storage type postgres needs a connection string")),
        _ => new SqliteDatabase(options.SqlitePath(dataDirectory)),
    };
}

/// <summary>Small helpers for building commands with typed parameters and reading rows.</summary>
internal static class Sql
{
    public static DbCommand Command(this DbConnection conn, string sql, DbTransaction? tx = null)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    public static DbCommand Command(this DbTransaction tx, string sql) => tx.Connection!.Command(sql, tx);

    public static DbCommand With(this DbCommand cmd, string name, string? value) => Add(cmd, name, DbType.String, value);
    public static DbCommand With(this DbCommand cmd, string name, long? value) => Add(cmd, name, DbType.Int64, value);
    public static DbCommand With(this DbCommand cmd, string name, int? value) => Add(cmd, name, DbType.Int32, value);
    public static DbCommand With(this DbCommand cmd, string name, DateTimeOffset? value) => Add(cmd, name, DbType.Int64, value?.ToUnixTimeMilliseconds());

    private static DbCommand Add(DbCommand cmd, string name, DbType type, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.DbType = type;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return cmd;
    }

    public static async Task<int> ExecAsync(this DbCommand cmd, CancellationToken ct)
    {
        await using (cmd) return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<object?> ScalarAsync(this DbCommand cmd, CancellationToken ct)
    {
        await using (cmd)
        {
            var v = await cmd.ExecuteScalarAsync(ct);
            return v is DBNull ? null : v;
        }
    }

    public static async Task<List<T>> ListAsync<T>(this DbCommand cmd, Func<DbDataReader, T> map, CancellationToken ct)
    {
        await using (cmd)
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var list = new List<T>();
            while (await r.ReadAsync(ct)) list.Add(map(r));
            return list;
        }
    }

    public static string? Str(this DbDataReader r, string name) { var i = r.GetOrdinal(name); return r.IsDBNull(i) ? null : r.GetString(i); }
    public static long Long(this DbDataReader r, string name) => Convert.ToInt64(r.GetValue(r.GetOrdinal(name)), System.Globalization.CultureInfo.InvariantCulture);
    public static long? LongOrNull(this DbDataReader r, string name) { var i = r.GetOrdinal(name); return r.IsDBNull(i) ? null : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture); }
    public static DateTimeOffset Time(this DbDataReader r, string name) => DateTimeOffset.FromUnixTimeMilliseconds(r.Long(name));
    public static DateTimeOffset? TimeOrNull(this DbDataReader r, string name) => r.LongOrNull(name) is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
