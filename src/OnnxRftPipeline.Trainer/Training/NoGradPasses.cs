using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// Forward passes over every example without gradients, in length-sorted batches and in eval mode (the model's
/// mode is restored after): what trajectory recording and SPIN's sequence log-probs both need.
/// </summary>
public static class NoGradPasses
{
    /// <summary>
    /// Calls <paramref name="onBatch"/> with each batch's example indices (into <paramref name="data"/>), the batch
    /// and its logits, inside a per-batch dispose scope: copy out what must outlive the call.
    /// </summary>
    public static void Run(LlamaForCausalLM model, IReadOnlyList<TokenizedExample> data, int batchSize, int padId,
        Action<int[], Batch, Tensor> onBatch)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            foreach (var idx in Batching.LengthSortedBatches(data, batchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = Batching.Build(data, idx, padId);
                onBatch(idx, batch, model.forward(batch.Inputs));
            }
        }
        finally { if (wasTraining) model.train(); }
    }
}
