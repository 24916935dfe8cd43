using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// SPIN's reference model πref, frozen: its parameters stop requiring gradients, it stays in eval mode,
/// every forward runs under no_grad, and it is never handed to an optimizer. Owns (and disposes) the model.
/// </summary>
public sealed class FrozenReference : IDisposable
{
    public LlamaForCausalLM Model { get; }

    public FrozenReference(LlamaForCausalLM model)
    {
        Model = model;
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
    }

    /// <summary>Sequence log-probs of one batch, [B], detached from any graph.</summary>
    public Tensor SequenceLogProbs(Batch batch)
    {
        using var _ = no_grad();
        return SpinLoss.SequenceLogProbs(Model.forward(batch.Inputs), batch.Targets, batch.LossMask);
    }

    /// <summary>Sequence log-probs of every sequence (the trainer computes them once: a frozen model's values never change).</summary>
    public double[] SequenceLogProbs(IReadOnlyList<TokenizedExample> data, int batchSize, int padId) =>
        SpinLoss.SequenceLogProbs(Model, data, batchSize, padId);

    public void Dispose() => Model.Dispose();
}
