using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// SPIN / IRL-style contrastive SFT: with Δ = (log πθ(y_w|x) − log πref(y_w|x)) − (log πθ(y_l|x) − log πref(y_l|x)),
/// where y_w is the chosen (demonstration) and y_l the rejected (self-generated) response and each log π is a
/// sequence log-probability summed over response tokens, the per-pair loss is −log σ(β·Δ).
/// Its derivative is dℓ/dΔ = −β·σ(−β·Δ): pairs the policy already orders well (large Δ) stop contributing.
/// </summary>
public static class SpinLoss
{
    /// <summary>Σ over masked (response + eos) positions of log p(target): logits [B,T,V], targets [B,T], mask [B,T] → [B].</summary>
    public static Tensor SequenceLogProbs(Tensor logits, Tensor targets, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        return (logp * mask.to(logp.dtype)).sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>Δ per pair, from policy and reference sequence log-probs of the chosen and rejected responses.</summary>
    public static Tensor Delta(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected) =>
        (policyChosen - refChosen) - (policyRejected - refRejected);

    /// <summary>−log σ(β·Δ) per pair, via logsigmoid (stable for large |β·Δ|).</summary>
    public static Tensor PairLosses(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected, double beta)
    {
        using var scope = NewDisposeScope();
        var delta = Delta(policyChosen, policyRejected, refChosen, refRejected);
        return (-nn.functional.logsigmoid(delta * beta)).MoveToOuterDisposeScope();
    }

    /// <summary>Per-pair SPIN loss, reward margin β·Δ and whether the pair is ordered right (Δ &gt; 0), as plain numbers.</summary>
    public static SpinMetrics Summarise(IReadOnlyList<double> policyLogp, IReadOnlyList<double> refLogp, int pairs, double beta)
    {
        double loss = 0, margin = 0;
        int correct = 0;
        for (int i = 0; i < pairs; i++)
        {
            double d = (policyLogp[i] - refLogp[i]) - (policyLogp[pairs + i] - refLogp[pairs + i]);
            double z = beta * d;
            // −log σ(z) = softplus(−z), written to stay finite for large |z|.
            loss += z >= 0 ? Math.Log(1 + Math.Exp(-z)) : -z + Math.Log(1 + Math.Exp(z));
            margin += z;
            if (d > 0) correct++;
        }
        return new SpinMetrics(loss / pairs, margin / pairs, (double)correct / pairs);
    }

    /// <summary>Sequence log-probs of every tokenized sequence under a model, in batched no-grad passes (order of <paramref name="data"/>).</summary>
    public static double[] SequenceLogProbs(LlamaForCausalLM model, IReadOnlyList<TokenizedExample> data, int batchSize, int padId)
    {
        var result = new double[data.Count];
        NoGradPasses.Run(model, data, batchSize, padId, (idx, batch, logits) =>
        {
            var seq = SequenceLogProbs(logits, batch.Targets, batch.LossMask).to(ScalarType.Float64).data<double>().ToArray();
            for (int r = 0; r < idx.Length; r++) result[idx[r]] = seq[r];
        });
        return result;
    }
}

/// <summary>Mean SPIN loss, mean reward margin β·Δ, and the share of pairs with Δ &gt; 0 (chosen preferred over rejected).</summary>
public sealed record SpinMetrics(double Loss, double Margin, double Accuracy);
