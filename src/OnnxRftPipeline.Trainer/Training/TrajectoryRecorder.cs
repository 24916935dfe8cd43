using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// Every example's mean response-token loss and probability under the current weights, in batched
/// no-grad passes; one Parquet part per recording under out/trajectories.
/// </summary>
public static class TrajectoryRecorder
{
    public static List<TrajectoryRow> Compute(LlamaForCausalLM model, IReadOnlyList<TokenizedExample> data, int batchSize,
        int padId, int epoch, long globalStep, string runId)
    {
        var rows = new TrajectoryRow[data.Count];
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            foreach (var idx in Batching.LengthSortedBatches(data, batchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = Batching.Build(data, idx, padId);
                var logits = model.forward(batch.Inputs);
                var (loss, prob, count) = Objectives.PerRowStats(logits, batch.Targets, batch.LossMask);
                for (int r = 0; r < idx.Length; r++)
                {
                    var ex = data[idx[r]];
                    rows[idx[r]] = new TrajectoryRow
                    {
                        ExampleId = ex.Id, Epoch = epoch, GlobalStep = globalStep,
                        MeanTokenLoss = loss[r], MeanTokenProb = prob[r], ResponseTokens = count[r], RunId = runId,
                    };
                }
            }
        }
        finally { if (wasTraining) model.train(); }
        return rows.ToList();
    }

    public static void Write(string dir, int partIndex, List<TrajectoryRow> rows, IReadOnlyDictionary<string, string> metadata) =>
        PartFiles.WritePartAsync(dir, partIndex, rows, metadata).GetAwaiter().GetResult();
}
