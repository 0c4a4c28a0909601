using Gumshoe.Engine.Decisions;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// The opened store: one database (SQLite or PostgreSQL, migrated on open) and the views on it — alerts,
/// decisions, audit log, effect journal, state snapshots, users — sharing one clock.
/// </summary>
public sealed class GumshoeStore : IAsyncDisposable
{
    private GumshoeStore(Database db, StorageOptions options, TimeProvider clock)
    {
        Database = db;
        Options = options;
        Clock = clock;
        Audit = new AuditLog(db, clock);
        Outbox = new Outbox(db, clock);
        Alerts = new AlertStore(db, clock);
        Decisions = new DecisionStore(db, Audit, Outbox, clock, options.Allow);
        State = new StateStore(db, clock);
        Users = new UserStore(db, clock);
        Cluster = new ClusterStore(db, clock);
        Retention = new RetentionSweep(db, options.Retention, clock);
    }

    public Database Database { get; }
    public StorageOptions Options { get; }
    public TimeProvider Clock { get; }
    public AuditLog Audit { get; }
    public Outbox Outbox { get; }
    public AlertStore Alerts { get; }
    public DecisionStore Decisions { get; }
    public StateStore State { get; }
    public UserStore Users { get; }
    /// <summary>Membership, leases and snapshots of a scaled-out deployment.</summary>
    public ClusterStore Cluster { get; }
    public RetentionSweep Retention { get; }

    /// <summary>Opens the configured backend and applies pending migrations.</summary>
    /// <exception cref="StorageException">The database cannot be reached or its schema is newer than this build.</exception>
    public static async Task<GumshoeStore> OpenAsync(StorageOptions options, string dataDirectory, TimeProvider? clock = null, CancellationToken ct = default)
    {
        var db = Database.Create(options, dataDirectory);
        try
        {
            await Migrations.ApplyAsync(db, ct);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            await db.DisposeAsync();
            var where = options.Type == StorageType.Sqlite ? options.SqlitePath(dataDirectory) : "PostgreSQL";
            throw new StorageException($"cannot open the {db.Kind} store ({where}): {ex.Message}", ex);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
        return new GumshoeStore(db, options, clock ?? TimeProvider.System);
    }

    /// <summary>
    /// On a store without users, creates <c>admin</c> (role admin) with a random password, writes it to
    /// <c>DATA_DIR/initial-admin-password</c> (mode 0600) and returns it for the caller to print once;
    /// returns null when users exist.
    /// </summary>
    public async Task<string?> EnsureFirstAdminAsync(string dataDirectory, CancellationToken ct = default)
    {
        if (await Users.CountAsync(ct) > 0) return null;
        var password = PasswordHash.Generate();
        if (!await Users.AddAsync("admin", UserRole.Admin, password, ct)) return null;   // another node was first
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "initial-admin-password");
        // created with 0600 from the start, so the password is never readable by others, not even briefly
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var f = new FileStream(path, options))
        await using (var w = new StreamWriter(f))
            await w.WriteLineAsync(password.AsMemory(), ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Audit.AppendAsync("system", "user_add", null, "first run", "admin (admin)", ct);
        return password;
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
