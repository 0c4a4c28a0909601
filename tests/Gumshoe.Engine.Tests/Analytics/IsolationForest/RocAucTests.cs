using Gumshoe.Engine.Analytics;

namespace Gumshoe.Engine.Tests.Analytics;

public class RocAucTests
{
    [Fact]
    public void Perfect_ranking_gives_one_and_reversed_ranking_gives_zero()
    {
        Assert.Equal(1.0, RocAuc.Compute([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, RocAuc.Compute([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
    }

    [Fact]
    public void All_scores_tied_give_one_half()
    {
        Assert.Equal(0.5, RocAuc.Compute([0.3, 0.3, 0.3, 0.3, 0.3], [true, false, false, true, false]));
    }

    [Fact]
    public void Ties_between_classes_count_one_half_like_scikit_learn()
    {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        Assert.Equal(0.75, RocAuc.Compute([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
        // roc_auc_score([0, 1, 0, 1, 0, 1], [0.2, 0.5, 0.5, 0.5, 0.9, 0.9]): pairs won 4, tied 3 of 9 → (4 + 1.5)/9
        Assert.Equal(5.5 / 9, RocAuc.Compute([0.2, 0.5, 0.5, 0.5, 0.9, 0.9], [false, true, false, true, false, true]), 12);
    }

    [Fact]
    public void A_single_class_has_no_auc()
    {
        Assert.True(double.IsNaN(RocAuc.Compute([0.1, 0.2], [true, true])));
    }
}
