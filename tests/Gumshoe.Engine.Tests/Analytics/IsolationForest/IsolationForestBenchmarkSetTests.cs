using Gumshoe.Engine.Analytics;

namespace Gumshoe.Engine.Tests.Analytics;

/// <summary>
/// AUC parity with scikit-learn 1.2.1 on the ODDS sets in shared/data/iforest: t = 100, ψ = 256, fit and score all
/// rows, mean ROC AUC over seeds within 0.01 of scikit-learn's mean over its seeds 0–9.
/// </summary>
/// <remarks>
/// The reference averages 10 seeds, and so do we on the large sets. On the small sets (n &lt; 1000) one seed's AUC
/// spreads more (pima: std 0.013 over 60 seeds, mean 0.6749; the 10-seed mean of seeds 0–9 is 0.6816, an
/// unlucky draw), so a 10-seed mean is too noisy for a 0.01 bound; there fitting is cheap and we average 40 seeds.
/// </remarks>
public class IsolationForestBenchmarkSetTests
{
    private const double Tolerance = 0.01;

    /// <summary>scikit-learn's mean AUC over seeds 0–9, from docs/isolation-forest-reference.md.</summary>
    public static TheoryData<string, int, int, int, double, int> Sets => new()
    {
        // file, rows, features, anomalies, scikit-learn mean AUC (seeds 0–9), seeds we average
        { "smtp", 95156, 3, 30, 0.9043, 10 },
        { "shuttle", 49097, 9, 3511, 0.9970, 10 },
        { "mammography", 11183, 6, 260, 0.8615, 10 },
        { "annthyroid", 7200, 6, 534, 0.8184, 10 },
        { "satellite", 6435, 36, 2036, 0.7008, 10 },
        { "pima", 768, 8, 268, 0.6707, 40 },
        { "breastw", 683, 9, 239, 0.9873, 40 },
        { "arrhythmia", 452, 274, 66, 0.8090, 40 },
        { "ionosphere", 351, 33, 126, 0.8563, 40 },
    };

    [Theory]
    [MemberData(nameof(Sets))]
    public void Mean_auc_over_seeds_is_within_a_hundredth_of_scikit_learn(string name, int rows, int features, int anomalies, double reference, int seeds)
    {
        var table = NumericCsv.Read(SharedData.Path($"iforest/{name}.csv"), "label");
        Assert.Equal(rows, table.Rows);
        Assert.Equal(features, table.Columns);
        Assert.Equal(anomalies, table.Labels!.Count(l => l));

        var aucs = new double[seeds];
        Parallel.For(0, seeds, seed =>
        {
            var scores = new double[table.Rows];
            IsolationForest.Fit(table.Values, table.Columns, new IsolationForestOptions { Seed = (ulong)seed }).ScoreRows(table.Values, scores);
            aucs[seed] = RocAuc.Compute(scores, table.Labels);
        });
        var mean = aucs.Average();
        Assert.True(Math.Abs(mean - reference) <= Tolerance, $"{name}: mean AUC {mean:F4} over {seeds} seeds (seeds: {string.Join(" ", aucs.Select(a => a.ToString("F4")))}), scikit-learn {reference:F4}");
    }
}
