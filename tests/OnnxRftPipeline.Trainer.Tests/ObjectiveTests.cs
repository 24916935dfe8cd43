using OnnxRftPipeline.Trainer.Training;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Tests;

/// <summary>The logit gradient of every objective is p − Q for its designed target Q.</summary>
public class ObjectiveTests
{
    const int N = 6, V = 11;

    static (Tensor Logits, Tensor Targets) Inputs()
    {
        manual_seed(7);
        var logits = (randn(N, V, dtype: ScalarType.Float64) * 3).requires_grad_(true);
        var targets = tensor(new long[] { 0, 3, 10, 5, 5, 7 });
        return (logits, targets);
    }

    /// <summary>Gradient of Σ token losses w.r.t. the logits, and p, and the one-hot of the targets.</summary>
    static (Tensor Grad, Tensor P, Tensor OneHot) Gradient(ObjectiveOptions objective)
    {
        var (logits, targets) = Inputs();
        Objectives.TokenLoss(logits, targets, objective).sum().backward();
        var p = logits.detach().softmax(-1);
        var oneHot = nn.functional.one_hot(targets, V).to(ScalarType.Float64);
        return (logits.grad!.clone(), p, oneHot);
    }

    [Fact]
    public void Ce_gradient_is_p_minus_one_hot_and_loss_is_cross_entropy()
    {
        var (grad, p, oneHot) = Gradient(ObjectiveOptions.Ce);
        Assert.True(grad.allclose(p - oneHot, rtol: 0, atol: 1e-12));
        var (logits, targets) = Inputs();
        var ours = Objectives.TokenLoss(logits, targets, ObjectiveOptions.Ce);
        var reference = nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.None);
        Assert.True(ours.allclose(reference, rtol: 0, atol: 1e-12));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.8)]
    public void Target_sft_fixed_w_gradient_is_p_minus_Q(double w)
    {
        var (grad, p, oneHot) = Gradient(ObjectiveOptions.TargetSftFixed(w));
        var q = w * oneHot + (1 - w) * p;
        Assert.True(grad.allclose(p - q, rtol: 0, atol: 1e-12));
        if (w == 0) Assert.True(grad.abs().max().item<double>() < 1e-12); // Q = p: nothing to learn
    }

    [Fact]
    public void Target_sft_fixed_w_one_equals_ce()
    {
        var (ce, _, _) = Gradient(ObjectiveOptions.Ce);
        var (t1, _, _) = Gradient(ObjectiveOptions.TargetSftFixed(1.0));
        Assert.True(ce.allclose(t1, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void Target_sft_with_w_equal_model_prob_is_dft()
    {
        var (grad, p, oneHot) = Gradient(ObjectiveOptions.TargetSftModelProb);
        var pY = (p * oneHot).sum(-1, keepdim: true);
        var q = pY * oneHot + (1 - pY) * p;
        Assert.True(grad.allclose(p - q, rtol: 0, atol: 1e-12));
        // DFT: the gradient of −sg(p_y)·log p_y is p_y·(p − δ_y).
        Assert.True(grad.allclose(pY * (p - oneHot), rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void Batch_loss_counts_only_masked_tokens_and_weights_rows()
    {
        manual_seed(8);
        var logits = randn(2, 3, V, dtype: ScalarType.Float64);
        var targets = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        var mask = tensor(new double[] { 0, 1, 1, 1, 0, 0 }, new long[] { 2, 3 });
        var tok = nn.functional.cross_entropy(logits.reshape(6, V), targets.reshape(6), reduction: nn.Reduction.None).reshape(2, 3);
        var w = tensor(new double[] { 1.0, 0.5 });
        double expected = (tok[0, 1].item<double>() + tok[0, 2].item<double>() + 0.5 * tok[1, 0].item<double>()) / 3;
        Assert.Equal(expected, Objectives.BatchLoss(logits, targets, mask, w, ObjectiveOptions.Ce).item<double>(), 12);
        // A zero-weight row contributes nothing (changing its logits leaves the loss).
        var w0 = tensor(new double[] { 1.0, 0.0 });
        var moved = logits.clone();
        moved[1] = randn(3, V, dtype: ScalarType.Float64);
        Assert.Equal(Objectives.BatchLoss(logits, targets, mask, w0, ObjectiveOptions.Ce).item<double>(),
            Objectives.BatchLoss(moved, targets, mask, w0, ObjectiveOptions.Ce).item<double>(), 12);
    }

    [Fact]
    public void Target_weight_outside_unit_interval_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ObjectiveOptions.TargetSftFixed(1.5).Validate());
    }

    [Fact]
    public void Objective_parses_from_command_line_text()
    {
        Assert.Equal(ObjectiveOptions.Ce, ObjectiveOptions.Parse("ce"));
        Assert.Equal(ObjectiveOptions.TargetSftFixed(ObjectiveOptions.DefaultTargetWeight), ObjectiveOptions.Parse("target-sft"));
        Assert.Equal(ObjectiveOptions.TargetSftModelProb, ObjectiveOptions.Parse("target-sft", "model"));
        Assert.Throws<ArgumentException>(() => ObjectiveOptions.Parse("target-sft", "auto"));
        Assert.Equal(ObjectiveOptions.TargetSftFixed(0.25), ObjectiveOptions.Parse("target-sft", "0.25"));
        Assert.Throws<ArgumentException>(() => ObjectiveOptions.Parse("target-sft", "2"));
        Assert.Throws<ArgumentException>(() => ObjectiveOptions.Parse("ce", "0.5"));
        Assert.Throws<ArgumentException>(() => ObjectiveOptions.Parse("dpo"));
    }
}
