using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// <c>sql_lookup:</c> runs a parameterised query against SQLite, PostgreSQL or MySQL/MariaDB with values from the event
/// (<c>@name</c> parameters bound from fields, never pasted into the SQL) and copies the first row's columns into
/// fields: <c>columns:</c> names a field per column, the rest go under <c>prefix</c> (default <c>&lt;name&gt;.</c>).
/// With <c>rows: all</c> every column becomes a list over all rows. Several lookups: give a list.
/// </summary>
/// <example>
/// <code>
/// enrich:
///   sql_lookup:
///     - name: assets
///       driver: postgres            # sqlite | postgres | mysql (also mariadb)
///       connection: ${ASSETS_DB}    # a connection string, from the environment or ${file:…}
///       query: SELECT owner, department FROM assets WHERE ip = @ip
///       params: {ip: source.ip}
///       columns: {owner: host.owner}
///       prefix: asset.
///       cache_ttl: 5m
///       timeout: 2s
/// </code>
/// </example>
public sealed partial class SqlLookupEnricher : LookupEnricher
{
    private readonly string _driver;
    private readonly string _connectionString;
    private readonly string _query;
    private readonly string[] _paramNames;
    private readonly Dictionary<string, string> _columns;
    private readonly string _prefix;
    private readonly bool _allRows;
    private DbConnection? _connection;

    /// <param name="parameters">Query parameter name (without <c>@</c>) → event field, in binding order.</param>
    public SqlLookupEnricher(string name, string driver, string connectionString, string query,
        IReadOnlyList<(string Param, string Field)> parameters, IReadOnlyDictionary<string, string>? columns = null,
        string? prefix = null, bool allRows = false, LookupOptions? options = null, Func<long>? clock = null)
        : base("sql_lookup", name, parameters.Select(p => p.Field).ToList(), options ?? new LookupOptions(), clock)
    {
        _driver = NormalizeDriver(driver) ?? throw new ArgumentException($"unknown driver '{driver}' (known: sqlite, postgres, mysql, mariadb)");
        if (parameters.Count == 0) throw new ArgumentException("a lookup query needs at least one @parameter bound to an event field");
        foreach (var (param, _) in parameters)
            if (!UsesParameter(query, param)) throw new ArgumentException($"the query does not use @{param}");
        _connectionString = connectionString;
        _query = query;
        _paramNames = parameters.Select(p => p.Param).ToArray();
        _columns = new Dictionary<string, string>(columns ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        _prefix = prefix ?? name + ".";
        _allRows = allRows;
        using var probe = NewConnection();   // a malformed connection string fails here, at load time
    }

    private static string? NormalizeDriver(string driver) => driver.ToLowerInvariant() switch
    {
        "sqlite" => "sqlite",
        "postgres" or "postgresql" or "npgsql" => "postgres",
        "mysql" or "mariadb" => "mysql",
        _ => null,
    };

    /// <summary>Reads one <c>sql_lookup</c> mapping, or a list of them (run in order).</summary>
    public static IEnricher Create(ConfigNode node, ComponentContext context)
    {
        if (!node.IsSequence) return CreateOne(node, "sql_lookup");
        var lookups = new List<IEnricher>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in node.Items)
        {
            var lookup = CreateOne(item, null);
            if (!names.Add(((SqlLookupEnricher)lookup).LookupName)) throw item.Error($"two sql_lookup entries are named '{((SqlLookupEnricher)lookup).LookupName}'");
            item.EnsureNoUnknownKeys("sql_lookup");
            lookups.Add(lookup);
        }
        return new EnricherSequence("sql_lookup", lookups);
    }

    private static IEnricher CreateOne(ConfigNode node, string? defaultName)
    {
        var name = node.String("name") ?? defaultName ?? throw node.Error("each sql_lookup in a list needs a name");
        var driverNode = node.Required("driver");
        var driver = driverNode.AsEnum("sqlite", "postgres", "postgresql", "mysql", "mariadb");
        var connection = node.Required("connection").AsString();
        var queryNode = node.Required("query");
        var parameters = new List<(string, string)>();
        var paramsNode = node.Required("params");
        foreach (var (param, field) in paramsNode.Entries)
        {
            if (!ParamName().IsMatch(param)) throw field.Error($"parameter name '{param}' should be letters, digits and _ (used as @{param} in the query)");
            parameters.Add((param, field.AsString()));
        }
        var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (node.Get("columns") is { IsNull: false } cols)
            foreach (var (col, field) in cols.Entries) columns[col] = field.AsString();
        var prefix = node.String("prefix");
        var rows = node.Get("rows") is { IsNull: false } r ? r.AsEnum("first", "all") : "first";
        var options = LookupOptions.Read(node);
        var query = queryNode.AsString();
        if (parameters.Count == 0) throw paramsNode.Error("a lookup query needs at least one @parameter bound to an event field");
        foreach (var (param, _) in parameters)
            if (!UsesParameter(query, param)) throw queryNode.Error($"sql_lookup '{name}': the query does not use @{param}");
        try
        {
            return new SqlLookupEnricher(name, driver, connection, query, parameters, columns, prefix, rows == "all", options);
        }
        catch (ArgumentException ex)
        {
            // the message of a bad connection string names the bad keyword, never the secret
            throw node.Required("connection").Error($"sql_lookup '{name}': invalid connection string: {ex.Message}");
        }
    }

    private static bool UsesParameter(string query, string param) => Regex.IsMatch(query, "@" + Regex.Escape(param) + @"\b");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ParamName();

    private DbConnection NewConnection() => _driver switch
    {
        "sqlite" => new SqliteConnection(_connectionString),
        "postgres" => new NpgsqlConnection(_connectionString),
        _ => new MySqlConnection(_connectionString),
    };

    protected override LookupField[] Query(FieldValue[] keyValues)
    {
        using var cts = new CancellationTokenSource(Options.Timeout);
        var opened = _connection is { State: ConnectionState.Open };
        try
        {
            if (!opened)
            {
                _connection?.Dispose();
                _connection = NewConnection();
                _connection.OpenAsync(cts.Token).GetAwaiter().GetResult();
            }
            // Microsoft.Data.Sqlite runs "async" calls synchronously and ignores the token: interrupt the statement instead
            using var interrupt = _connection is SqliteConnection sqlite
                ? cts.Token.Register(static c => SQLitePCL.raw.sqlite3_interrupt(((SqliteConnection)c!).Handle), sqlite)
                : default;
            using var cmd = _connection!.CreateCommand();
            cmd.CommandText = _query;
            cmd.CommandTimeout = Math.Max(1, (int)Math.Ceiling(Options.Timeout.TotalSeconds));
            for (var i = 0; i < _paramNames.Length; i++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "@" + _paramNames[i];
                p.Value = ToParameter(keyValues[i]);
                cmd.Parameters.Add(p);
            }
            using var reader = cmd.ExecuteReaderAsync(cts.Token).GetAwaiter().GetResult();
            return Read(reader, cts.Token);
        }
        catch (Exception ex) when (ex is DbException or SocketException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            _connection?.Dispose();
            _connection = null;
            var reason = ex is OperationCanceledException or TimeoutException || cts.IsCancellationRequested ? "timeout"
                : !opened && ex is not SqliteException ? "server_down"
                : "query_error";
            throw new LookupFailedException(reason, $"{_driver} {(reason == "timeout" ? $"did not answer within {Options.Timeout.TotalSeconds:0.###}s" : ex.Message)}", ex);
        }
    }

    private LookupField[] Read(DbDataReader reader, CancellationToken ct)
    {
        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            var column = reader.GetName(i);
            names[i] = _columns.TryGetValue(column, out var field) ? field : _prefix + column;
        }
        if (!_allRows)
        {
            if (!reader.ReadAsync(ct).GetAwaiter().GetResult()) return [];
            var fields = new List<LookupField>(names.Length);
            for (var i = 0; i < names.Length; i++)
                if (ToValue(reader.GetValue(i)) is { IsNull: false } v) fields.Add(new LookupField(names[i], v));
            return fields.ToArray();
        }
        var lists = names.Select(_ => new List<FieldValue>()).ToArray();
        var any = false;
        while (reader.ReadAsync(ct).GetAwaiter().GetResult())
        {
            any = true;
            for (var i = 0; i < names.Length; i++)
                if (ToValue(reader.GetValue(i)) is { IsNull: false } v) lists[i].Add(v);
        }
        if (!any) return [];
        return names.Select((n, i) => new LookupField(n, FieldValue.Array(lists[i]))).Where(f => f.Value.AsArray().Count > 0).ToArray();
    }

    // typed where the event field is typed, so "WHERE id = @id" compares numbers with numbers; addresses go as text
    private static object ToParameter(FieldValue v) => v.Kind switch
    {
        FieldKind.Long => v.AsLong(),
        FieldKind.Double => v.AsDouble(),
        FieldKind.Bool => v.AsBool(),
        FieldKind.Timestamp => v.AsTimestamp(),
        _ => v.AsString(),
    };

    private static FieldValue ToValue(object? value) => value switch
    {
        null or DBNull => FieldValue.Null,
        string s => FieldValue.String(s),
        long l => FieldValue.Long(l),
        int i => FieldValue.Long(i),
        short s => FieldValue.Long(s),
        byte b => FieldValue.Long(b),
        sbyte b => FieldValue.Long(b),
        uint u => FieldValue.Long(u),
        ushort u => FieldValue.Long(u),
        ulong u when u <= long.MaxValue => FieldValue.Long((long)u),
        bool b => FieldValue.Bool(b),
        double d => FieldValue.Double(d),
        float f => FieldValue.Double(f),
        decimal m => FieldValue.Double((double)m),
        DateTime t => FieldValue.Timestamp(new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime())),
        DateTimeOffset t => FieldValue.Timestamp(t),
        System.Net.IPAddress ip => FieldValue.Ip(ip),
        byte[] bytes => FieldValue.String(Convert.ToHexStringLower(bytes)),
        IFormattable f => FieldValue.String(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => FieldValue.String(value.ToString() ?? ""),
    };

    public override void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
        base.Dispose();
    }
}
