using System.Data.Common;
using System.Text.Json;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// Writes every table's rows as JSON lines, <c>{"table": NAME, "row": {COLUMN: VALUE …}}</c>, table by table in a
/// fixed order and rows by primary key: a backup, a migration between backends, or the seed's flat files.
/// </summary>
public static class DatabaseExport
{
    // parents before children, so an import in this order satisfies the foreign keys
    private static readonly (string Table, string OrderBy)[] Tables =
    [
        ("schema_migrations", "version"), ("users", "name"), ("api_tokens", "id"), ("alerts", "id"), ("alert_events", "alert_id, seq"),
        ("decisions", "id"), ("decision_triggers", "trigger_key"), ("decision_history", "rule, scope, value"),
        ("audit", "id"), ("outbox", "id"), ("state", "key"),
    ];

    /// <summary>The exported table names, in export order.</summary>
    public static IEnumerable<string> TableNames => Tables.Select(t => t.Table);

    /// <summary>Writes the export; returns the number of rows.</summary>
    public static async Task<long> WriteAsync(Database db, Stream output, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        var present = await db.TableNamesAsync(conn, ct);
        var unknown = present.Where(t => !t.StartsWith("sqlite_", StringComparison.Ordinal) && !Tables.Any(x => x.Table == t)).Order(StringComparer.Ordinal);
        long rows = 0;
        var newline = "\n"u8.ToArray();
        foreach (var (table, orderBy) in Tables.Where(t => present.Contains(t.Table)).Concat(unknown.Select(t => (t, "1"))))
        {
            // names come from the fixed list above or from the database's own catalogue, never from input
            await using var cmd = conn.Command($"SELECT * FROM {table} ORDER BY {orderBy}");
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                using (var w = new Utf8JsonWriter(output))
                {
                    w.WriteStartObject();
                    w.WriteString("table", table);
                    w.WriteStartObject("row");
                    for (var i = 0; i < r.FieldCount; i++) WriteValue(w, r.GetName(i), r, i);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                await output.WriteAsync(newline, ct);
                rows++;
            }
        }
        await output.FlushAsync(ct);
        return rows;
    }

    private static void WriteValue(Utf8JsonWriter w, string name, DbDataReader r, int i)
    {
        if (r.IsDBNull(i)) { w.WriteNull(name); return; }
        switch (r.GetValue(i))
        {
            case long l: w.WriteNumber(name, l); break;
            case int n: w.WriteNumber(name, n); break;
            case short s: w.WriteNumber(name, s); break;
            case double d: w.WriteNumber(name, d); break;
            case decimal m: w.WriteNumber(name, m); break;
            case bool b: w.WriteBoolean(name, b); break;
            case byte[] bytes: w.WriteBase64String(name, bytes); break;
            case var v: w.WriteString(name, Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }
}
