using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.Tests;

public class TrajectoryFeaturesTests
{
    internal static IEnumerable<TrajectoryRow> Rows(string id, double[] losses, double[] probs) =>
        losses.Select((l, e) => new TrajectoryRow { ExampleId = id, Epoch = e + 1, GlobalStep = 10 * (e + 1), MeanTokenLoss = l, MeanTokenProb = probs[e] });

    [Fact]
    public void Features_match_hand_computation()
    {
        // Rows deliberately out of order: features must follow epoch order.
        var rows = Rows("x", [2.0, 1.0, 0.5], [0.2, 0.5, 0.8]).Reverse();
        var f = Assert.Single(TrajectoryFeatures.Compute(rows));
        Assert.Equal(0.5, f.FinalLoss, 12);
        Assert.Equal(((2.0 + 1.0) / 2 + (1.0 + 0.5) / 2) / 2, f.LossAuc, 12);   // trapezoid on a unit axis = 1.125
        Assert.Equal(0.75, f.RelativeDrop, 12);
        Assert.Equal(0.5, f.Confidence, 12);
        Assert.Equal(Math.Sqrt((0.09 + 0 + 0.09) / 3), f.Variability, 12);
    }

    [Fact]
    public void Examples_recorded_at_different_points_are_rejected_by_name()
    {
        var rows = Rows("a", [1, 0.5], [0.4, 0.6]).Concat(Rows("b", [1], [0.4]));
        var e = Assert.Throws<InvalidDataException>(() => TrajectoryFeatures.Compute(rows));
        Assert.Contains("'b' has 1 points", e.Message);
    }

    [Fact]
    public void Non_finite_losses_are_rejected_naming_the_example_and_epoch()
    {
        var e = Assert.Throws<InvalidDataException>(() => TrajectoryFeatures.Compute(Rows("z", [1, double.NaN], [0.1, 0.2])));
        Assert.Contains("'z' epoch 2", e.Message);
    }
}
