namespace Gumshoe.Engine.Analytics;

/// <summary>Settings for fitting an <see cref="IsolationForest"/>; the defaults are the paper's (and scikit-learn's).</summary>
public sealed record IsolationForestOptions
{
    /// <summary>Number of trees t.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Rows drawn (without replacement) per tree, ψ; clamped to the number of training rows.</summary>
    public int Subsample { get; init; } = 256;

    /// <summary>Height limit l; null means ⌈log₂ max(ψ, 2)⌉ of the clamped ψ.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>Master seed: the same seed and data always give the same forest.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Expected share of anomalies in the training rows, in (0, 0.5]: the threshold becomes that quantile of the
    /// training scores. Null means scikit-learn's "auto": a fixed threshold of 0.5.
    /// </summary>
    public double? Contamination { get; init; }

    internal void Validate()
    {
        if (Trees < 1) throw new ArgumentOutOfRangeException(nameof(Trees), Trees, "need at least one tree");
        if (Subsample < 1) throw new ArgumentOutOfRangeException(nameof(Subsample), Subsample, "need at least one row per tree");
        if (MaxDepth is < 0 or > 64) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "must be in 0..64");
        if (Contamination is { } c && !(c > 0 && c <= 0.5)) throw new ArgumentOutOfRangeException(nameof(Contamination), c, "must be in (0, 0.5]");
    }
}
