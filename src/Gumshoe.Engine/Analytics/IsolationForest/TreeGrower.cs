using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Analytics;

/// <summary>
/// Grows isolation trees one after another into shared flat node arrays, reusing its scratch buffers, so fitting
/// allocates only the node arrays.
/// </summary>
internal sealed class TreeGrower
{
    private readonly int _rowCount, _columns, _subsample, _maxDepth;
    private readonly int[] _permutation;   // identity between trees; a partial Fisher–Yates draws the subsample
    private readonly int[] _swaps;
    private readonly int[] _rows;          // the tree's subsample, partitioned in place node by node
    private readonly double[] _values;     // the split candidate's values for the node's rows
    private readonly int[] _features;      // [0, known) are constant in the current node; the rest are candidates
    private readonly Frame[] _stack;

    private readonly int[] _feature;
    private readonly double[] _value;
    private readonly int[] _child;
    private readonly int[] _roots;
    private int _nodes, _trees;

    private readonly record struct Frame(int Node, int Start, int End, int Depth, int KnownConstant);

    public TreeGrower(int rowCount, int columns, int subsample, int maxDepth, int trees)
    {
        _rowCount = rowCount;
        _columns = columns;
        _subsample = subsample;
        _maxDepth = maxDepth;
        _permutation = new int[rowCount];
        for (var i = 0; i < rowCount; i++) _permutation[i] = i;
        _swaps = new int[subsample];
        _rows = new int[subsample];
        _values = new double[subsample];
        _features = new int[columns];
        _stack = new Frame[Math.Min(maxDepth, subsample) + 2];

        // A tree has at most 2ψ − 1 nodes, and at most 2^(l+1) − 1 under the height limit.
        var perTree = maxDepth >= 30 ? 2L * subsample - 1 : Math.Min(2L * subsample - 1, (1L << (maxDepth + 1)) - 1);
        var capacity = perTree * trees;
        if (capacity > Array.MaxLength) throw new ArgumentException($"a forest of {trees} trees of up to {perTree} nodes is too large");
        _feature = new int[capacity];
        _value = new double[capacity];
        _child = new int[capacity];
        _roots = new int[trees];
    }

    /// <summary>Grows one tree from its own generator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: skip tier-0 code, so the first fit is fast too
    public void Grow(ReadOnlySpan<double> data, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        DrawSubsample(ref rng);
        for (var f = 0; f < _columns; f++) _features[f] = f; // reset so a tree never depends on the previous one

        var root = _nodes++;
        _roots[_trees++] = root;
        var top = 0;
        _stack[top++] = new Frame(root, 0, _subsample, 0, 0);
        while (top > 0)
        {
            var (node, start, end, depth, known) = _stack[--top];
            var size = end - start;
            if (depth >= _maxDepth || size <= 1) { MakeLeaf(node, depth, size); continue; }

            // Pick uniformly among the features not constant in this node: draw among those not yet known to be
            // constant, and move each constant one found into the known prefix (inherited by both children).
            var chosen = -1;
            double lo = 0, hi = 0;
            while (known < _columns)
            {
                var j = known + rng.NextInt(_columns - known);
                var f = _features[j];
                lo = double.PositiveInfinity;
                hi = double.NegativeInfinity;
                for (var i = start; i < end; i++)
                {
                    var v = data[_rows[i] * _columns + f];
                    _values[i] = v;
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                }
                if (hi > lo) { chosen = f; break; }
                _features[j] = _features[known];
                _features[known++] = f;
            }
            if (chosen < 0) { MakeLeaf(node, depth, size); continue; }

            var split = lo + rng.NextDouble() * (hi - lo); // continuous uniform in [lo, hi)
            if (split >= hi) split = lo; // rounding reached hi: the right child would be empty

            var mid = Partition(start, end, split);
            var left = _nodes;
            _nodes += 2;
            _feature[node] = chosen;
            _value[node] = split;
            _child[node] = left;
            _stack[top++] = new Frame(left + 1, mid, end, depth + 1, known);
            _stack[top++] = new Frame(left, start, mid, depth + 1, known);
        }
    }

    /// <summary>The node arrays trimmed to the nodes used, and each tree's root.</summary>
    public (int[] Feature, double[] Value, int[] Child, int[] Roots) Finish() =>
        (_feature[.._nodes], _value[.._nodes], _child[.._nodes], _roots[.._trees]);

    private void MakeLeaf(int node, int depth, int size)
    {
        _feature[node] = -1;
        _value[node] = depth + IsolationForest.AveragePathLength(size);
        _child[node] = size;
    }

    /// <summary>ψ distinct rows uniformly without replacement; the swaps are undone so the next tree starts from identity.</summary>
    private void DrawSubsample(ref Xoshiro256StarStar rng)
    {
        if (_subsample == _rowCount)
        {
            for (var i = 0; i < _subsample; i++) _rows[i] = i; // every row; their order does not affect the tree
            return;
        }
        for (var i = 0; i < _subsample; i++)
        {
            var j = i + rng.NextInt(_rowCount - i);
            (_permutation[i], _permutation[j]) = (_permutation[j], _permutation[i]);
            _swaps[i] = j;
            _rows[i] = _permutation[i];
        }
        for (var i = _subsample - 1; i >= 0; i--)
        {
            var j = _swaps[i];
            (_permutation[i], _permutation[j]) = (_permutation[j], _permutation[i]);
        }
    }

    /// <summary>Rows with value ≤ split to the front; returns where the right child's rows begin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Partition(int start, int end, double split)
    {
        int i = start, j = end;
        while (i < j)
        {
            if (_values[i] <= split) { i++; continue; }
            j--;
            (_values[i], _values[j]) = (_values[j], _values[i]);
            (_rows[i], _rows[j]) = (_rows[j], _rows[i]);
        }
        return i;
    }
}
