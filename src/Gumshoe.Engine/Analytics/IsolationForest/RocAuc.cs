namespace Gumshoe.Engine.Analytics;

/// <summary>Area under the ROC curve for anomaly scores against 0/1 labels (higher score = more anomalous).</summary>
public static class RocAuc
{
    /// <summary>
    /// The rank-sum (Mann–Whitney) form with average ranks for tied scores, which equals the trapezoidal ROC area
    /// (scikit-learn's <c>roc_auc_score</c>). NaN when the labels hold only one class.
    /// </summary>
    public static double Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isPositive)
    {
        if (scores.Length != isPositive.Length) throw new ArgumentException($"{scores.Length} scores but {isPositive.Length} labels");
        var n = scores.Length;
        var order = new int[n];
        var sorted = scores.ToArray();
        for (var i = 0; i < n; i++)
        {
            if (double.IsNaN(sorted[i])) throw new ArgumentException($"score {i} is NaN", nameof(scores));
            order[i] = i;
        }
        Array.Sort(sorted, order);

        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && sorted[end] == sorted[start]) end++;
            var averageRank = (start + 1 + end) / 2.0; // ranks start+1 … end share their mean
            for (var k = start; k < end; k++)
                if (isPositive[order[k]]) { positiveRankSum += averageRank; positives++; }
            start = end;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
