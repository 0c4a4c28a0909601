using System.Globalization;

namespace Gumshoe.Engine.Analytics;

/// <summary>A numeric table read from CSV: feature values row-major, and optionally a 0/1 label per row.</summary>
public sealed record NumericTable(string[] FeatureNames, double[] Values, bool[]? Labels, string? LabelName)
{
    /// <summary>Number of feature columns.</summary>
    public int Columns => FeatureNames.Length;

    /// <summary>Number of data rows.</summary>
    public int Rows => Columns == 0 ? 0 : Values.Length / Columns;

    /// <summary>One row's feature values.</summary>
    public ReadOnlySpan<double> Row(int row) => Values.AsSpan(row * Columns, Columns);
}

/// <summary>Reads comma-separated numeric data with a header line into a <see cref="NumericTable"/>.</summary>
public static class NumericCsv
{
    /// <summary>Reads a CSV file; see <see cref="Read(TextReader, string?)"/>.</summary>
    public static NumericTable Read(string path, string? labelColumn = null)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        return Read(reader, labelColumn);
    }

    /// <summary>
    /// Reads a header line, then one row per line (empty lines skipped; fields may be wrapped in double quotes).
    /// Every column except <paramref name="labelColumn"/> is a feature and must hold a finite number; the label is
    /// an anomaly when it is a non-zero number or "true".
    /// </summary>
    /// <exception cref="FormatException">A missing label column, a ragged row, or a non-numeric cell, named by line, row and column.</exception>
    public static NumericTable Read(TextReader reader, string? labelColumn = null)
    {
        var header = reader.ReadLine() ?? throw new FormatException("empty input: no header line");
        var names = header.TrimEnd('\r').Split(',').Select(n => Unquote(n.AsSpan()).ToString()).ToArray();
        var labelIndex = -1;
        if (labelColumn is not null)
        {
            labelIndex = Array.IndexOf(names, labelColumn);
            if (labelIndex < 0) throw new FormatException($"no column named '{labelColumn}' in the header ({string.Join(",", names)})");
        }
        var featureNames = names.Where((_, i) => i != labelIndex).ToArray();
        if (featureNames.Length == 0) throw new FormatException("no feature columns");

        var values = new List<double>(1 << 12);
        var labels = labelIndex >= 0 ? new List<bool>(1 << 10) : null;
        var lineNumber = 1;
        var row = 0;
        while (reader.ReadLine() is { } text)
        {
            lineNumber++;
            var line = text.AsSpan().TrimEnd('\r');
            if (line.IsWhiteSpace()) continue;
            var column = 0;
            foreach (var range in line.Split(','))
            {
                if (column >= names.Length) throw new FormatException($"line {lineNumber} (row {row}): more than {names.Length} fields");
                var cell = Unquote(line[range]);
                if (column == labelIndex) labels!.Add(ParseLabel(cell, lineNumber, row, names[column]));
                else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) values.Add(v);
                else throw new FormatException($"line {lineNumber} (row {row}), column '{names[column]}': '{cell}' is not a finite number");
                column++;
            }
            if (column != names.Length) throw new FormatException($"line {lineNumber} (row {row}): {column} fields, the header has {names.Length}");
            row++;
        }
        if (row == 0) throw new FormatException("no data rows");
        return new NumericTable(featureNames, values.ToArray(), labels?.ToArray(), labelIndex >= 0 ? labelColumn : null);
    }

    private static bool ParseLabel(ReadOnlySpan<char> cell, int lineNumber, int row, string name)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v)) return v != 0;
        if (bool.TryParse(cell, out var b)) return b;
        throw new FormatException($"line {lineNumber} (row {row}), label column '{name}': '{cell}' is neither a number nor true/false");
    }

    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> cell)
    {
        cell = cell.Trim();
        return cell.Length >= 2 && cell[0] == '"' && cell[^1] == '"' ? cell[1..^1] : cell;
    }
}
