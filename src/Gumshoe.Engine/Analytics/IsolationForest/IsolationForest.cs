using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gumshoe.Engine.Analytics;

/// <summary>
/// Isolation Forest (Liu, Ting &amp; Zhou 2008) with scikit-learn's conventions: anomaly score
/// s(x) = 2^(−E[h(x)]/c(ψ)), higher = more anomalous. Immutable once fitted; scoring never allocates and is safe
/// from several threads at once.
/// </summary>
/// <remarks>
/// Nodes live in flat arrays (struct of arrays), trees one after another. For scoring, trees no deeper than
/// <see cref="MaxCompiledDepth"/> are also laid out as perfect binary trees in heap order, so a walk is a fixed
/// number of branch-free steps: shallow leaves get "always left" nodes (threshold +∞) below them.
/// </remarks>
public sealed partial class IsolationForest
{
    /// <summary>Euler–Mascheroni constant γ, for the harmonic-number approximation H(i) ≈ ln i + γ.</summary>
    private const double EulerGamma = 0.5772156649015329;

    /// <summary>Deepest tree laid out as a perfect tree (2^11 leaves per tree); deeper forests walk the node arrays.</summary>
    private const int MaxCompiledDepth = 11;

    /// <summary>Rows scored together per tree in <see cref="ScoreRows"/>: independent walks overlap in the CPU.</summary>
    private const int ScoreBlock = 128;

    // Canonical node arrays (what Save writes). Node i is a leaf when _feature[i] < 0.
    private readonly int[] _feature;
    private readonly double[] _value;   // split threshold; for a leaf, its path length e + c(size)
    private readonly int[] _child;      // left child (right = left + 1); for a leaf, its training-row count
    private readonly int[] _roots;      // root node of each tree

    // Perfect-tree layout for scoring; null when the forest is deeper than MaxCompiledDepth.
    private readonly int _depth;
    private readonly int[]? _heapFeature;
    private readonly double[]? _heapThreshold;
    private readonly double[]? _heapLeaf;

    private readonly double _normaliser;

    /// <summary>Number of feature columns every row must have.</summary>
    public int Columns { get; }

    /// <summary>Number of trees t.</summary>
    public int TreeCount => _roots.Length;

    /// <summary>Subsample size ψ actually used (the option clamped to the number of training rows).</summary>
    public int SubsampleSize { get; }

    /// <summary>Height limit l the trees were grown with.</summary>
    public int MaxDepth { get; }

    /// <summary>The master seed the forest was fitted with.</summary>
    public ulong Seed { get; }

    /// <summary>The contamination the threshold was derived from; null for "auto" (threshold 0.5).</summary>
    public double? Contamination { get; }

    /// <summary>Anomaly-score threshold: a row is an anomaly when its <see cref="Score"/> is above it (scikit-learn's −offset_).</summary>
    public double Threshold { get; private set; }

    /// <summary>Total number of nodes in all trees.</summary>
    public int NodeCount => _feature.Length;

    private IsolationForest(int columns, int subsample, int maxDepth, ulong seed, double? contamination, int[] feature, double[] value, int[] child, int[] roots)
    {
        Columns = columns;
        SubsampleSize = subsample;
        MaxDepth = maxDepth;
        Seed = seed;
        Contamination = contamination;
        Threshold = 0.5;
        _feature = feature;
        _value = value;
        _child = child;
        _roots = roots;
        _normaliser = AveragePathLength(subsample);
        _depth = DeepestLeaf();
        if (_depth <= MaxCompiledDepth) (_heapFeature, _heapThreshold, _heapLeaf) = LayOutPerfectTrees(_depth);
    }

    /// <summary>
    /// c(n): the average path length of an unsuccessful search in a binary search tree of n keys, 2·H(n−1) − 2(n−1)/n
    /// with H(i) ≈ ln i + γ; c(2) = 1 and c(n) = 0 for n ≤ 1.
    /// </summary>
    public static double AveragePathLength(int n) => n switch
    {
        <= 1 => 0.0,
        2 => 1.0,
        _ => 2.0 * (Math.Log(n - 1.0) + EulerGamma) - 2.0 * (n - 1.0) / n,
    };

    /// <summary>Fits a forest on rows given as arrays (all of the same length).</summary>
    public static IsolationForest Fit(double[][] rows, IsolationForestOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length == 0) throw new ArgumentException("no training rows", nameof(rows));
        var columns = rows[0]?.Length ?? 0;
        var flat = new double[(long)rows.Length * columns];
        for (var r = 0; r < rows.Length; r++)
        {
            var row = rows[r] ?? throw new ArgumentException($"row {r} is null", nameof(rows));
            if (row.Length != columns) throw new ArgumentException($"row {r} has {row.Length} values, row 0 has {columns}", nameof(rows));
            row.CopyTo(flat, (long)r * columns);
        }
        return Fit(flat, columns, options);
    }

    /// <summary>Fits a forest on a dense row-major matrix of <paramref name="columns"/> columns.</summary>
    /// <exception cref="ArgumentException">No rows, a ragged matrix, or a NaN/infinite value (named by row and column).</exception>
    public static IsolationForest Fit(ReadOnlySpan<double> data, int columns, IsolationForestOptions? options = null)
    {
        options ??= new IsolationForestOptions();
        options.Validate();
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "need at least one column");
        if (data.Length == 0 || data.Length % columns != 0)
            throw new ArgumentException($"{data.Length} values do not form whole rows of {columns} columns", nameof(data));
        var index = IndexOfNonFinite(data);
        if (index >= 0) throw new ArgumentException($"row {index / columns}, column {index % columns}: {data[index]} is not a finite number", nameof(data));

        var rowCount = data.Length / columns;
        var subsample = Math.Min(options.Subsample, rowCount);
        var maxDepth = options.MaxDepth ?? (int)Math.Ceiling(Math.Log2(Math.Max(subsample, 2)));

        var builder = new TreeGrower(rowCount, columns, subsample, maxDepth, options.Trees);
        var seeds = new ulong[options.Trees];
        var master = new SplitMix64(options.Seed);
        for (var t = 0; t < seeds.Length; t++) seeds[t] = master.Next(); // up front: a tree's shape never depends on build order
        for (var t = 0; t < seeds.Length; t++) builder.Grow(data, seeds[t]);
        var (feature, value, child, roots) = builder.Finish();

        var forest = new IsolationForest(columns, subsample, maxDepth, options.Seed, options.Contamination, feature, value, child, roots);
        if (options.Contamination is { } contamination)
        {
            var scores = new double[rowCount];
            forest.ScoreRows(data, scores);
            forest.Threshold = ThresholdFor(scores, contamination);
        }
        return forest;
    }

    /// <summary>
    /// The anomaly score s(x) in (0, 1]: near 1 = anomaly, well below 0.5 = normal. (scikit-learn's
    /// <c>score_samples</c> is −s.)
    /// </summary>
    public double Score(ReadOnlySpan<double> row) => ToScore(SumPathLengths(row));

    /// <summary>The mean path length E[h(x)] over the trees, leaf adjustment c(size) included.</summary>
    public double PathLength(ReadOnlySpan<double> row) => SumPathLengths(row) / TreeCount;

    /// <summary>scikit-learn's <c>decision_function</c>: <see cref="Threshold"/> − s(x); negative means anomaly.</summary>
    public double DecisionFunction(ReadOnlySpan<double> row) => Threshold - Score(row);

    /// <summary>Whether the row scores above <see cref="Threshold"/> (scikit-learn's <c>predict</c> = −1).</summary>
    public bool IsAnomaly(ReadOnlySpan<double> row) => DecisionFunction(row) < 0;

    /// <summary>
    /// Scores every row of a dense row-major matrix into <paramref name="scores"/> (one per row); identical to
    /// calling <see cref="Score"/> per row, only faster.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code, so the first call is fast too
    public unsafe void ScoreRows(ReadOnlySpan<double> rows, Span<double> scores)
    {
        var d = Columns;
        if (rows.Length % d != 0) throw new ArgumentException($"{rows.Length} values do not form whole rows of {d} columns", nameof(rows));
        var n = rows.Length / d;
        if (scores.Length < n) throw new ArgumentException($"room for {scores.Length} scores, {n} rows given", nameof(scores));
        var bad = IndexOfNonFinite(rows);
        if (bad >= 0) throw new ArgumentException($"row {bad / d}, column {bad % d}: {rows[bad]} is not a finite number", nameof(rows));
        if (_heapFeature is null)
        {
            for (var r = 0; r < n; r++) scores[r] = ToScore(WalkNodes(ref Unsafe.AsRef(in rows[r * d])));
            return;
        }

        var width = 1 << _depth; // per tree: heap slots 1 … width−1 are internal nodes, width leaves
        var pos = stackalloc nint[ScoreBlock];
        var sum = stackalloc double[ScoreBlock];
        // Pointers rather than Unsafe.Add: the same machine code when optimised, and no calls in Debug builds.
        fixed (double* data = rows)
        fixed (int* features = _heapFeature)
        fixed (double* thresholds = _heapThreshold, leaves = _heapLeaf)
        {
            for (var start = 0; start < n; start += ScoreBlock)
            {
                var m = Math.Min(ScoreBlock, n - start);
                var block = data + (nint)start * d;
                for (var r = 0; r < m; r++) sum[r] = 0;
                for (var t = 0; t < _roots.Length; t++)
                {
                    var offset = (nint)t * width;
                    WalkBlock(pos, m, block, d, features + offset, thresholds + offset, _depth);
                    var bottom = leaves + offset - width; // heap position width + k is leaf k
                    for (var r = 0; r < m; r++) sum[r] += bottom[pos[r]];
                }
                for (var r = 0; r < m; r++) scores[start + r] = ToScore(sum[r]);
            }
        }
    }

    /// <summary>
    /// Walks <paramref name="m"/> rows down one perfect tree (1-based heap: children of i are 2i and 2i + 1), a level
    /// at a time for all rows: the walks are independent, so the CPU overlaps their loads. Leaves each row's heap
    /// position in <paramref name="pos"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WalkBlock(nint* pos, int m, double* block, nint d, int* feature, double* threshold, int depth)
    {
        nint rows = m;
        if (depth == 0)
        {
            for (nint r = 0; r < rows; r++) pos[r] = 1;
            return;
        }
        // The root is the same node for every row: no per-row node loads on the first level.
        nint rootFeature = feature[1];
        var rootThreshold = threshold[1];
        var y = block;
        for (nint r = 0; r < rows; r++, y += d) pos[r] = 2 + (y[rootFeature] > rootThreshold ? 1 : 0);
        for (var level = 1; level < depth; level++)
        {
            var x = block;
            nint r = 0;
            for (; r + 3 < rows; r += 4)
            {
                // Four rows per iteration: fewer loop instructions per step, and four independent walks in flight.
                nint i0 = pos[r], i1 = pos[r + 1], i2 = pos[r + 2], i3 = pos[r + 3];
                double x0 = x[feature[i0]], x1 = x[d + feature[i1]], x2 = x[2 * d + feature[i2]], x3 = x[3 * d + feature[i3]];
                pos[r] = 2 * i0 + (x0 > threshold[i0] ? 1 : 0);
                pos[r + 1] = 2 * i1 + (x1 > threshold[i1] ? 1 : 0);
                pos[r + 2] = 2 * i2 + (x2 > threshold[i2] ? 1 : 0);
                pos[r + 3] = 2 * i3 + (x3 > threshold[i3] ? 1 : 0);
                x += 4 * d;
            }
            for (; r < rows; r++, x += d)
            {
                var i = pos[r];
                pos[r] = 2 * i + (x[feature[i]] > threshold[i] ? 1 : 0);
            }
        }
    }

    private double ToScore(double pathLengthSum) =>
        _normaliser == 0 ? 0.5 : Math.Pow(2.0, -(pathLengthSum / _roots.Length) / _normaliser);

    /// <summary>Σ over trees (in tree order, so the sum is reproducible) of h(x) = e + c(leaf size).</summary>
    private unsafe double SumPathLengths(ReadOnlySpan<double> row)
    {
        if (row.Length != Columns) throw new ArgumentException($"row has {row.Length} values, the forest was fitted on {Columns}", nameof(row));
        var bad = IndexOfNonFinite(row);
        if (bad >= 0) throw new ArgumentException($"column {bad}: {row[bad]} is not a finite number", nameof(row));
        if (_heapFeature is null) return WalkNodes(ref MemoryMarshal.GetReference(row));

        var width = 1 << _depth;
        var sum = 0.0;
        fixed (double* x = row)
        fixed (int* features = _heapFeature)
        fixed (double* thresholds = _heapThreshold, leaves = _heapLeaf)
        {
            for (var t = 0; t < _roots.Length; t++)
            {
                var offset = (nint)t * width;
                int* feature = features + offset;
                var threshold = thresholds + offset;
                nint i = 1;
                for (var level = 0; level < _depth; level++) i = 2 * i + (x[feature[i]] > threshold[i] ? 1 : 0);
                sum += leaves[offset + i - width];
            }
        }
        return sum;
    }

    /// <summary>The plain walk over the node arrays, for forests too deep for the perfect layout.</summary>
    private double WalkNodes(ref double x)
    {
        var sum = 0.0;
        foreach (var root in _roots)
        {
            var i = root;
            int f;
            while ((f = _feature[i]) >= 0) i = _child[i] + (Unsafe.Add(ref x, f) > _value[i] ? 1 : 0);
            sum += _value[i];
        }
        return sum;
    }

    private int DeepestLeaf()
    {
        var deepest = 0;
        Span<(int Node, int Depth)> stack = stackalloc (int, int)[2 * 66];
        foreach (var root in _roots)
        {
            var top = 0;
            stack[top++] = (root, 0);
            while (top > 0)
            {
                var (node, depth) = stack[--top];
                if (_feature[node] < 0) { deepest = Math.Max(deepest, depth); continue; }
                stack[top++] = (_child[node], depth + 1);
                stack[top++] = (_child[node] + 1, depth + 1);
            }
        }
        return deepest;
    }

    /// <summary>Every tree as a perfect tree of <paramref name="depth"/> levels in a 1-based heap of 2^depth slots per array.</summary>
    private (int[], double[], double[]) LayOutPerfectTrees(int depth)
    {
        var width = 1 << depth;
        var feature = new int[_roots.Length * width];
        var threshold = new double[feature.Length];
        Array.Fill(threshold, double.PositiveInfinity); // below a shallow leaf every step goes left
        var leaf = new double[_roots.Length * width];
        Span<(int Node, int Heap, int Depth)> stack = stackalloc (int, int, int)[2 * (MaxCompiledDepth + 2)];
        for (var t = 0; t < _roots.Length; t++)
        {
            var offset = t * width;
            var top = 0;
            stack[top++] = (_roots[t], 1, 0);
            while (top > 0)
            {
                var (node, heap, e) = stack[--top];
                if (_feature[node] >= 0)
                {
                    feature[offset + heap] = _feature[node];
                    threshold[offset + heap] = _value[node];
                    stack[top++] = (_child[node], 2 * heap, e + 1);
                    stack[top++] = (_child[node] + 1, 2 * heap + 1, e + 1);
                    continue;
                }
                var bottom = heap << (depth - e); // leftmost descendant at the bottom, which "always left" reaches
                leaf[offset + bottom - width] = _value[node];
            }
        }
        return (feature, threshold, leaf);
    }

    private static int IndexOfNonFinite(ReadOnlySpan<double> values)
    {
        for (var i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>scikit-learn's offset: the 100·c-th percentile of −s over the training rows (numpy's linear interpolation), negated.</summary>
    private static double ThresholdFor(double[] scores, double contamination)
    {
        var normality = new double[scores.Length];
        for (var i = 0; i < scores.Length; i++) normality[i] = -scores[i];
        Array.Sort(normality);
        var pos = contamination * (normality.Length - 1);
        var i0 = (int)Math.Floor(pos);
        if (i0 >= normality.Length - 1) return -normality[^1];
        double a = normality[i0], b = normality[i0 + 1], frac = pos - i0;
        var offset = frac >= 0.5 ? b - (b - a) * (1 - frac) : a + (b - a) * frac; // numpy's _lerp
        return -offset;
    }
}
