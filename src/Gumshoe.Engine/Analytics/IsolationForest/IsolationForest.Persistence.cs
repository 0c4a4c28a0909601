using System.Text;

namespace Gumshoe.Engine.Analytics;

public sealed partial class IsolationForest
{
    private static ReadOnlySpan<byte> Magic => "GSIF"u8;
    private const int FormatVersion = 1;

    /// <summary>
    /// Writes the fitted forest in a versioned little-endian binary form (magic "GSIF", version, settings, node
    /// arrays). Leaves the stream open, so a forest can sit inside a larger snapshot.
    /// </summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(Columns);
        w.Write(SubsampleSize);
        w.Write(MaxDepth);
        w.Write(Seed);
        w.Write(Contamination.HasValue);
        w.Write(Contamination ?? 0.0);
        w.Write(Threshold);
        w.Write(_roots.Length);
        w.Write(_feature.Length);
        foreach (var root in _roots) w.Write(root);
        for (var i = 0; i < _feature.Length; i++)
        {
            w.Write(_feature[i]);
            w.Write(_feature[i] >= 0 ? _value[i] : 0.0); // a leaf's path length is recomputed on load
            w.Write(_child[i]);
        }
    }

    /// <summary>Reads a forest written by <see cref="Save"/>, checking its structure; reads exactly what Save wrote.</summary>
    /// <exception cref="InvalidDataException">Not a forest, an unknown version, or damaged data.</exception>
    public static IsolationForest Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not an isolation forest (bad magic)");
            var version = r.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"isolation forest format version {version} is not supported (expected {FormatVersion})");
            var columns = r.ReadInt32();
            var subsample = r.ReadInt32();
            var maxDepth = r.ReadInt32();
            var seed = r.ReadUInt64();
            var hasContamination = r.ReadBoolean();
            var contamination = r.ReadDouble();
            var threshold = r.ReadDouble();
            var trees = r.ReadInt32();
            var nodes = r.ReadInt32();
            if (columns < 1 || subsample < 1 || maxDepth is < 0 or > 64 || trees < 1 || nodes < trees || !double.IsFinite(threshold)
                || (hasContamination && !(contamination > 0 && contamination <= 0.5)))
                throw new InvalidDataException("isolation forest header out of range");
            if (nodes > (long)trees * (2L * subsample - 1)) throw new InvalidDataException($"{nodes} nodes is more than {trees} trees of ψ = {subsample} can hold");

            var roots = new int[trees];
            for (var t = 0; t < trees; t++) roots[t] = r.ReadInt32();
            var feature = new int[nodes];
            var value = new double[nodes];
            var child = new int[nodes];
            for (var i = 0; i < nodes; i++)
            {
                feature[i] = r.ReadInt32();
                value[i] = r.ReadDouble();
                child[i] = r.ReadInt32();
            }
            CheckTrees(columns, maxDepth, roots, feature, value, child);
            return new IsolationForest(columns, subsample, maxDepth, seed, hasContamination ? contamination : null, feature, value, child, roots)
            {
                Threshold = threshold,
            };
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("isolation forest data is truncated");
        }
    }

    /// <summary>Every node reached exactly once from one root, within the height limit; sets each leaf's path length.</summary>
    private static void CheckTrees(int columns, int maxDepth, int[] roots, int[] feature, double[] value, int[] child)
    {
        var seen = new bool[feature.Length];
        var stack = new Stack<(int Node, int Depth)>();
        foreach (var root in roots)
        {
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, depth) = stack.Pop();
                if ((uint)node >= (uint)feature.Length || seen[node]) throw new InvalidDataException($"isolation forest node {node} is out of range or shared");
                if (depth > maxDepth) throw new InvalidDataException($"isolation forest node {node} is deeper than the height limit {maxDepth}");
                seen[node] = true;
                var f = feature[node];
                if (f < 0)
                {
                    if (f != -1 || child[node] < 0) throw new InvalidDataException($"isolation forest leaf {node} is malformed");
                    value[node] = depth + AveragePathLength(child[node]);
                    continue;
                }
                if (f >= columns || !double.IsFinite(value[node]) || child[node] < 0 || child[node] >= feature.Length - 1)
                    throw new InvalidDataException($"isolation forest node {node} is malformed");
                stack.Push((child[node] + 1, depth + 1));
                stack.Push((child[node], depth + 1));
            }
        }
        if (Array.IndexOf(seen, false) is var orphan and >= 0) throw new InvalidDataException($"isolation forest node {orphan} belongs to no tree");
    }
}
