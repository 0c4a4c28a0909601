using Gumshoe.Engine.Analytics;

namespace Gumshoe.Engine.Tests.Analytics;

/// <summary>The hand-checkable vectors of docs/isolation-forest.md §5, determinism, persistence and bad input.</summary>
public class IsolationForestTests
{
    private const double Exact = 1e-9;

    private static IsolationForest FitColumn(double[] values, int trees = 100, ulong seed = 0, int? maxDepth = null, double? contamination = null, int subsample = 256) =>
        IsolationForest.Fit(values, 1, new IsolationForestOptions { Trees = trees, Seed = seed, MaxDepth = maxDepth, Contamination = contamination, Subsample = subsample });

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.0)]
    [InlineData(2, 1.0)]
    [InlineData(3, 1.2073923576)]
    [InlineData(4, 1.8516559071)]
    [InlineData(5, 2.3270200520)]
    [InlineData(8, 3.2962516279)]
    [InlineData(16, 4.6955317320)]
    [InlineData(64, 7.4719507826)]
    [InlineData(256, 10.2447709201)]
    [InlineData(1000, 12.9699408871)]
    public void Average_path_length_uses_the_log_approximation_and_the_small_n_cases(int n, double expected) =>
        Assert.Equal(expected, IsolationForest.AveragePathLength(n), 1e-9);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(5, 3)]
    [InlineData(100, 7)]
    [InlineData(256, 8)]
    [InlineData(257, 9)]
    [InlineData(1000, 10)]
    public void Height_limit_is_the_ceiling_of_log2_of_the_clamped_subsample(int rows, int expected)
    {
        var forest = FitColumn(Enumerable.Range(0, rows).Select(i => (double)i).ToArray(), trees: 1, subsample: 10_000);
        Assert.Equal(rows, forest.SubsampleSize);
        Assert.Equal(expected, forest.MaxDepth);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20)] // deeper than the perfect-tree layout: the plain node walk must agree
    public void Case_A_two_points_are_each_isolated_at_depth_one(int? maxDepth)
    {
        var forest = FitColumn([0, 1], maxDepth: maxDepth);
        foreach (var x in new[] { -5.0, 0, 0.5, 1, 7 })
        {
            Assert.Equal(1.0, forest.PathLength([x]), Exact);
            Assert.Equal(0.5, forest.Score([x]), Exact);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20)]
    public void Case_B_the_middle_point_always_needs_two_cuts(int? maxDepth)
    {
        var forest = FitColumn([0, 1, 10], seed: 7, maxDepth: maxDepth);
        Assert.Equal(1.2073923576, IsolationForest.AveragePathLength(forest.SubsampleSize), 1e-9);
        Assert.Equal(2.0, forest.PathLength([1]), Exact);
        Assert.Equal(0.3172160, forest.Score([1]), 1e-7);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20)]
    public void Case_D_identical_rows_make_the_root_a_leaf(int? maxDepth)
    {
        var forest = FitColumn([5, 5, 5, 5], maxDepth: maxDepth);
        Assert.Equal(forest.TreeCount, forest.NodeCount);
        Assert.Equal(1.8516559071, forest.PathLength([5]), 1e-9);
        Assert.Equal(0.5, forest.Score([123]), Exact);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20)]
    public void Case_E_a_constant_child_becomes_a_leaf_with_the_c_of_its_size(int? maxDepth)
    {
        var forest = FitColumn([0, 0, 0, 1], maxDepth: maxDepth);
        Assert.Equal(2.2073923576, forest.PathLength([0]), 1e-9);
        Assert.Equal(0.4376599, forest.Score([0]), 1e-7);
        Assert.Equal(1.0, forest.PathLength([1]), Exact);
        Assert.Equal(0.6877437, forest.Score([1]), 1e-7);
        Assert.Equal(0.6877437, forest.Score([40]), 1e-7);
    }

    [Fact]
    public void Case_G_a_constant_column_is_never_chosen()
    {
        var forest = IsolationForest.Fit([[0.0, 7], [0, 7], [0, 7], [1, 7]], new IsolationForestOptions { Seed = 3 });
        Assert.Equal(0.4376599, forest.Score([0, 7]), 1e-7);
        Assert.Equal(0.6877437, forest.Score([1, 7]), 1e-7);
        Assert.Equal(0.6877437, forest.Score([2, -3]), 1e-7);
        Assert.Equal(3 * forest.TreeCount, forest.NodeCount); // root, one constant leaf, one singleton: every tree
    }

    [Fact]
    public void A_subsample_of_one_scores_every_row_one_half()
    {
        var forest = FitColumn([1, 2, 3, 100], subsample: 1);
        Assert.Equal(1, forest.SubsampleSize);
        Assert.Equal(0.5, forest.Score([100]), Exact);
        Assert.Equal(0.5, forest.Score([-4]), Exact);
    }

    [Fact]
    public void Contamination_sets_the_threshold_to_the_training_score_quantile()
    {
        var forest = FitColumn([0, 0, 0, 1], contamination: 0.25);
        Assert.Equal(0.5001808, forest.Threshold, 1e-7);
        Assert.Equal(0.0625210, forest.DecisionFunction([0]), 1e-7);
        Assert.Equal(-0.1875629, forest.DecisionFunction([1]), 1e-7);
        Assert.False(forest.IsAnomaly([0]));
        Assert.True(forest.IsAnomaly([1]));
    }

    [Fact]
    public void Without_contamination_the_threshold_is_one_half()
    {
        var forest = FitColumn([0, 0, 0, 1]);
        Assert.Null(forest.Contamination);
        Assert.Equal(0.5, forest.Threshold);
        Assert.True(forest.IsAnomaly([1]));
    }

    // Expected path lengths averaged over random thresholds (exact values from the doc), with 20 000 trees.
    [Theory]
    [InlineData(new double[] { 0, 1, 10 }, 0, 1.9)]
    [InlineData(new double[] { 0, 1, 10 }, 5, 1.6)]
    [InlineData(new double[] { 0, 1, 10 }, 10, 1.1)]
    [InlineData(new double[] { 0, 1, 10 }, 20, 1.1)]
    [InlineData(new double[] { 0, 1, 2, 3 }, 0, 11.0 / 6)]
    [InlineData(new double[] { 0, 1, 2, 3 }, 3, 11.0 / 6)]
    [InlineData(new double[] { 0, 1, 2, 3 }, 1, 2.5)]
    [InlineData(new double[] { 0, 1, 2, 3 }, 1.5, 2.5)]
    [InlineData(new double[] { 0, 0, 0, 1 }, 0.5, 1.6036962)]
    [InlineData(new double[] { 0, 1, 2, 3, 100 }, 0, 2.8033333)]
    [InlineData(new double[] { 0, 1, 2, 3, 100 }, 2, 3.4897959)]
    [InlineData(new double[] { 0, 1, 2, 3, 100 }, 100, 1.0303051)]
    public void Mean_path_length_over_many_trees_matches_the_exact_expectation(double[] training, double query, double expected)
    {
        var forest = FitColumn(training, trees: 20_000, seed: 11);
        Assert.InRange(forest.PathLength([query]), expected - 0.02, expected + 0.02);
    }

    [Fact]
    public void Score_is_two_to_the_minus_mean_path_length_over_c_of_psi()
    {
        var forest = FitColumn([0, 1, 2, 3, 100], trees: 20_000, seed: 5);
        var h = forest.PathLength([100]);
        Assert.Equal(Math.Pow(2, -h / IsolationForest.AveragePathLength(5)), forest.Score([100]), 1e-12);
        Assert.InRange(forest.Score([100]), 0.7357271 - 0.005, 0.7357271 + 0.005);
    }

    [Fact]
    public void The_same_seed_gives_identical_scores_and_another_seed_different_ones()
    {
        var data = RandomMatrix(2000, 5, 42);
        var a = ScoreAll(IsolationForest.Fit(data, 5, new IsolationForestOptions { Seed = 9 }), data);
        var b = ScoreAll(IsolationForest.Fit(data, 5, new IsolationForestOptions { Seed = 9 }), data);
        var c = ScoreAll(IsolationForest.Fit(data, 5, new IsolationForestOptions { Seed = 10 }), data);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Scores_are_pinned_for_a_fixed_seed_so_a_runtime_upgrade_cannot_change_them()
    {
        // Golden value from this implementation: our own generator and a fixed recipe, so it must never move.
        var forest = IsolationForest.Fit(RandomMatrix(500, 3, 1), 3, new IsolationForestOptions { Seed = 2024, Trees = 10 });
        Assert.Equal(PinnedScore, forest.Score([0.5, 0.5, 0.5]), 1e-15);
    }

    private const double PinnedScore = 0.44302018846413727;

    [Fact]
    public void Batch_scoring_equals_row_by_row_scoring_bit_for_bit()
    {
        foreach (var (rows, columns, maxDepth) in new[] { (1003, 4, (int?)null), (301, 2, 14) })
        {
            var data = RandomMatrix(rows, columns, 7);
            var forest = IsolationForest.Fit(data, columns, new IsolationForestOptions { MaxDepth = maxDepth, Subsample = 300 });
            var batch = ScoreAll(forest, data);
            for (var r = 0; r < rows; r++) Assert.Equal(forest.Score(data.AsSpan(r * columns, columns)), batch[r]);
        }
    }

    [Fact]
    public void Jagged_and_row_major_input_give_the_same_forest()
    {
        var flat = RandomMatrix(300, 3, 5);
        var jagged = Enumerable.Range(0, 300).Select(r => flat.AsSpan(r * 3, 3).ToArray()).ToArray();
        var a = ScoreAll(IsolationForest.Fit(flat, 3), flat);
        var b = ScoreAll(IsolationForest.Fit(jagged), flat);
        Assert.Equal(a, b);
    }

    [Fact]
    public void An_obvious_outlier_scores_higher_than_the_bulk()
    {
        var data = RandomMatrix(1000, 2, 3);
        var forest = IsolationForest.Fit(data, 2);
        var training = ScoreAll(forest, data);
        Assert.True(forest.Score([25, -25]) > training.Max());
        Assert.True(forest.Score([0.5, 0.5]) < training.Average());
    }

    [Fact]
    public void A_saved_forest_loads_back_and_scores_identically()
    {
        var data = RandomMatrix(800, 4, 8);
        var forest = IsolationForest.Fit(data, 4, new IsolationForestOptions { Seed = 77, Contamination = 0.1 });
        using var stream = new MemoryStream();
        stream.WriteByte(0xAB); // the forest can sit inside a larger snapshot
        forest.Save(stream);
        stream.WriteByte(0xCD);
        stream.Position = 1;
        var loaded = IsolationForest.Load(stream);
        Assert.Equal(0xCD, stream.ReadByte());

        Assert.Equal(forest.Columns, loaded.Columns);
        Assert.Equal(forest.TreeCount, loaded.TreeCount);
        Assert.Equal(forest.SubsampleSize, loaded.SubsampleSize);
        Assert.Equal(forest.MaxDepth, loaded.MaxDepth);
        Assert.Equal(forest.Seed, loaded.Seed);
        Assert.Equal(forest.Contamination, loaded.Contamination);
        Assert.Equal(forest.Threshold, loaded.Threshold);
        Assert.Equal(ScoreAll(forest, data), ScoreAll(loaded, data));
    }

    [Fact]
    public void Loading_rejects_foreign_truncated_or_damaged_data()
    {
        var forest = IsolationForest.Fit(RandomMatrix(100, 2, 4), 2, new IsolationForestOptions { Trees = 3 });
        using var stream = new MemoryStream();
        forest.Save(stream);
        var bytes = stream.ToArray();

        Assert.Throws<InvalidDataException>(() => IsolationForest.Load(new MemoryStream("nope, not a forest"u8.ToArray())));
        Assert.Throws<InvalidDataException>(() => IsolationForest.Load(new MemoryStream(bytes[..(bytes.Length - 5)])));
        var newer = (byte[])bytes.Clone();
        newer[4] = 99; // version
        Assert.Throws<InvalidDataException>(() => IsolationForest.Load(new MemoryStream(newer)));
        var badChild = (byte[])bytes.Clone();
        var firstNode = 4 + 4 + 4 * 3 + 8 + 1 + 8 + 8 + 4 + 4 + 4 * 3; // header, then three roots
        BitConverter.GetBytes(int.MaxValue).CopyTo(badChild, firstNode + 12); // root's left child
        Assert.Throws<InvalidDataException>(() => IsolationForest.Load(new MemoryStream(badChild)));
    }

    [Fact]
    public void Non_finite_values_are_rejected_with_their_row_and_column()
    {
        var ex = Assert.Throws<ArgumentException>(() => IsolationForest.Fit([1, 2, 3, double.NaN], 2));
        Assert.Contains("row 1, column 1", ex.Message);
        Assert.Throws<ArgumentException>(() => IsolationForest.Fit([1, double.PositiveInfinity], 1));
        var forest = IsolationForest.Fit([1.0, 2, 3, 4], 2);
        Assert.Throws<ArgumentException>(() => forest.Score([1, double.NaN]));
        Assert.Throws<ArgumentException>(() => forest.Score([1, 2, 3]));
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FitColumn([1, 2], trees: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FitColumn([1, 2], subsample: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => FitColumn([1, 2], contamination: 0.6));
        Assert.Throws<ArgumentException>(() => IsolationForest.Fit([], 1));
        Assert.Throws<ArgumentException>(() => IsolationForest.Fit([1.0, 2, 3], 2));
    }

    private static double[] ScoreAll(IsolationForest forest, double[] data)
    {
        var scores = new double[data.Length / forest.Columns];
        forest.ScoreRows(data, scores);
        return scores;
    }

    private static double[] RandomMatrix(int rows, int columns, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        var data = new double[rows * columns];
        for (var i = 0; i < data.Length; i++) data[i] = rng.NextDouble();
        return data;
    }
}
