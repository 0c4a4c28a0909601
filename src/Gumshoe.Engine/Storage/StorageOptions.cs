using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;

namespace Gumshoe.Engine.Storage;

/// <summary>Which database backs the store.</summary>
public enum StorageType { Sqlite, Postgres }

/// <summary>How long stored rows are kept; a decision's clock starts when it is released or expires.</summary>
public sealed record RetentionOptions(TimeSpan Alerts, TimeSpan Audit, TimeSpan Decisions)
{
    public static readonly RetentionOptions Default = new(TimeSpan.FromDays(90), TimeSpan.FromDays(365), TimeSpan.FromDays(30));
}

/// <summary>
/// The <c>storage:</c> section: <c>{type: sqlite|postgres, path, connection_string, retention: {alerts, audit, decisions},
/// allow: {cidrs, users, values}}</c>. SQLite lives at <c>path</c> (default <c>DATA_DIR/gumshoe.db</c>).
/// </summary>
public sealed record StorageOptions
{
    public StorageType Type { get; init; } = StorageType.Sqlite;
    /// <summary>The SQLite file; null means <c>gumshoe.db</c> in the data directory.</summary>
    public string? Path { get; init; }
    /// <summary>The Npgsql connection string (type postgres); usually <c>${GUMSHOE_POSTGRES}</c>.</summary>
    public string? ConnectionString { get; init; }
    public RetentionOptions Retention { get; init; } = RetentionOptions.Default;
    /// <summary>Entities no decision ever applies to, whatever the rule.</summary>
    public AllowList Allow { get; init; } = AllowList.Empty;

    /// <summary>The embedded default: SQLite in the data directory.</summary>
    public static readonly StorageOptions Default = new();

    /// <summary>Where the SQLite file lives for a data directory.</summary>
    public string SqlitePath(string dataDirectory) => Path ?? System.IO.Path.Combine(dataDirectory, "gumshoe.db");

    /// <summary>Reads and validates the <c>storage:</c> section.</summary>
    public static StorageOptions Read(ConfigNode node)
    {
        if (!node.IsMapping) throw node.Error("storage: expected a mapping such as {type: sqlite}");
        var type = node.Get("type") is { IsNull: false } t ? t.AsEnum("sqlite", "postgres", "postgresql") : "sqlite";
        var options = new StorageOptions
        {
            Type = type == "sqlite" ? StorageType.Sqlite : StorageType.Postgres,
            Path = node.Get("path") is { IsNull: false } p ? p.AsPath() : null,
            ConnectionString = node.String("connection_string"),
            Retention = ReadRetention(node.Get("retention")),
            Allow = node.Get("allow") is { IsNull: false } a ? AllowList.Read(a) : AllowList.Empty,
        };
        if (options.Type == StorageType.Postgres)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
                throw node.Error("storage: type postgres needs connection_string (for example ${GUMSHOE_POSTGRES})");
            if (options.Path is not null) throw node.Get("path")!.Error("storage: path is for type sqlite; postgres uses connection_string");
            try { _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString); }
            catch (ArgumentException ex) { throw node.Get("connection_string")!.Error($"storage: invalid connection_string: {ex.Message}"); }
        }
        else if (options.ConnectionString is not null)
            throw node.Get("connection_string")!.Error("storage: connection_string is for type postgres; sqlite uses path");
        return options;
    }

    /// <summary>The <c>storage:</c> section reader: validates it and hands the options to the context's <see cref="StoreProvider"/>.</summary>
    public static StorageOptions ReadSection(ConfigNode node, Pipeline.ComponentContext context)
    {
        var options = Read(node);
        context.Storage.Options = options;
        context.Storage.Configured = true;
        return options;
    }

    private static RetentionOptions ReadRetention(ConfigNode? node)
    {
        if (node is null || node.IsNull) return RetentionOptions.Default;
        var d = RetentionOptions.Default;
        var r = new RetentionOptions(
            node.DurationAt("alerts") ?? d.Alerts,
            node.DurationAt("audit") ?? d.Audit,
            ReadDecisionRetention(node.Get("decisions")) ?? d.Decisions);
        node.EnsureNoUnknownKeys("storage.retention");
        return r;
    }

    // `decisions: 30d after release/expiry` reads as 30d; the words say when the clock starts, which is always so.
    private static TimeSpan? ReadDecisionRetention(ConfigNode? node)
    {
        if (node is null || node.IsNull) return null;
        var text = node.AsString().Trim();
        var space = text.IndexOf(' ');
        var head = space < 0 ? text : text[..space];
        if (space >= 0 && text[space..].Trim() is not ("after release/expiry" or "after release" or "after expiry"))
            throw node.Error($"expected a duration such as '30d' or '30d after release/expiry', got '{text}'");
        return Duration.TryParse(head, out var v) ? v : throw node.Error($"expected a duration such as 30d, got '{head}'");
    }
}
