using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Gumshoe.Engine.Storage;

/// <summary>The embedded backend: one SQLite file in WAL mode, writers queued by a busy timeout.</summary>
public sealed class SqliteDatabase : Database
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public override string Kind => "sqlite";

    internal override string AutoIdColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct);
        // WAL persists in the file; busy_timeout and synchronous are per connection
        await conn.Command("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;").ExecAsync(ct);
        return conn;
    }

    internal override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    internal override Task LockAsync(DbTransaction tx, string key, CancellationToken ct) => Task.CompletedTask;

    // BEGIN IMMEDIATE already makes each migration's check-and-apply exclusive
    internal override Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<IAsyncDisposable>(new NoLock());

    internal override async Task<HashSet<string>> TableNamesAsync(DbConnection connection, CancellationToken ct) =>
        [.. await connection.Command("SELECT name FROM sqlite_master WHERE type = 'table'").ListAsync(r => r.GetString(0), ct)];

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
