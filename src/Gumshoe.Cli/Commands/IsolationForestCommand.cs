using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Gumshoe.Engine.Analytics;

namespace Gumshoe.Cli.Commands;

/// <summary>
/// <c>gumshoe iforest --csv FILE [--label COLUMN]</c>: fits an isolation forest on every row of a numeric CSV and
/// writes each row's anomaly score; with a label column, the ROC AUC is the last stdout line.
/// </summary>
public static class IsolationForestCommand
{
    public static Command Create()
    {
        var csv = new Option<string>("--csv") { Description = "Numeric CSV with a header line; every column but the label is a feature", Required = true };
        var label = new Option<string?>("--label") { Description = "Label column (1/true = anomaly): excluded from the features, used for the AUC" };
        var seed = new Option<ulong>("--seed") { Description = "Seed (same seed, same scores)", DefaultValueFactory = _ => 0 };
        var trees = new Option<int>("--trees") { Description = "Number of trees", DefaultValueFactory = _ => 100 };
        var subsample = new Option<int>("--subsample") { Description = "Rows drawn per tree (clamped to the row count)", DefaultValueFactory = _ => 256 };
        var output = new Option<string?>("--out", "-o") { Description = "Write the scores to this file instead of stdout" };
        var bench = new Option<int>("--bench") { Description = "Repeat fit+score N times and print timings to stderr", Hidden = true };
        var cmd = new Command("iforest",
            "Fit an isolation forest on all rows of a CSV and score them. Scores are CSV with the header 'row,score': the " +
            "0-based data row index and the anomaly score s in (0,1] (higher = more anomalous, above 0.5 = likely anomaly), " +
            "on stdout or in --out. With --label the last stdout line is 'auc=<ROC AUC, 4 decimals>' (ties get average " +
            "ranks). Diagnostics go to stderr; bad input exits with code 2.")
        {
            csv, label, seed, trees, subsample, output, bench,
        };
        cmd.SetAction(r =>
        {
            var options = new IsolationForestOptions { Seed = r.GetValue(seed), Trees = r.GetValue(trees), Subsample = r.GetValue(subsample) };
            var path = r.GetValue(csv)!;
            try
            {
                var read = Stopwatch.StartNew();
                var table = NumericCsv.Read(path, r.GetValue(label));
                Console.Error.WriteLine($"iforest: {path}: {table.Rows} rows, {table.Columns} features{(table.Labels is null ? "" : $", label '{table.LabelName}'")}; read in {read.Elapsed.TotalMilliseconds:F0} ms");

                var scores = new double[table.Rows];
                var repeats = r.GetValue(bench);
                if (repeats > 0) Benchmark(table, options, scores, repeats);
                else IsolationForest.Fit(table.Values, table.Columns, options).ScoreRows(table.Values, scores);

                WriteScores(scores, r.GetValue(output));
                if (table.Labels is { } labels)
                {
                    var auc = RocAuc.Compute(scores, labels);
                    Console.Out.WriteLine(double.IsNaN(auc) ? "auc=nan" : "auc=" + auc.ToString("F4", CultureInfo.InvariantCulture));
                    if (double.IsNaN(auc)) Console.Error.WriteLine("iforest: the labels hold only one class, so the AUC is undefined");
                }
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {path}: {ex.Message}");
                return 2;
            }
        });
        return cmd;
    }

    private static void WriteScores(double[] scores, string? path)
    {
        using var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
        using var w = new StreamWriter(stream, bufferSize: 1 << 16) { NewLine = "\n" };
        w.WriteLine("row,score");
        Span<char> buffer = stackalloc char[64];
        for (var i = 0; i < scores.Length; i++)
        {
            w.Write(i);
            w.Write(',');
            scores[i].TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture);
            w.WriteLine(buffer[..written]);
        }
    }

    /// <summary>
    /// Repeats fit+score and prints per-phase wall-clock timings (first run, minimum, median) to stderr, and the
    /// process CPU time of the fastest run, which other processes on a busy machine disturb less.
    /// </summary>
    private static void Benchmark(NumericTable table, IsolationForestOptions options, double[] scores, int repeats)
    {
        var fit = new double[repeats];
        var score = new double[repeats];
        var cpu = new double[repeats];
        var process = Process.GetCurrentProcess();
        var sw = new Stopwatch();
        for (var i = 0; i < repeats; i++)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            sw.Restart();
            var forest = IsolationForest.Fit(table.Values, table.Columns, options);
            fit[i] = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            forest.ScoreRows(table.Values, scores);
            score[i] = sw.Elapsed.TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
        }
        var total = fit.Zip(score, (a, b) => a + b).ToArray();
        static string Stats(double[] ms)
        {
            var sorted = ms.Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"first {ms[0]:F2} min {sorted[0]:F2} median {sorted[sorted.Length / 2]:F2}");
        }
        Console.Error.WriteLine($"bench: rows={table.Rows} features={table.Columns} trees={options.Trees} subsample={options.Subsample} repeats={repeats} (ms)");
        Console.Error.WriteLine($"bench: fit   {Stats(fit)}");
        Console.Error.WriteLine($"bench: score {Stats(score)}");
        Console.Error.WriteLine($"bench: total {Stats(total)}");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: cpu   min {cpu.Min():F2}"));
    }
}
