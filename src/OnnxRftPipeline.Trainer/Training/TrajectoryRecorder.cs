using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;

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
        NoGradPasses.Run(model, data, batchSize, padId, (idx, batch, logits) =>
        {
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
        });
        return rows.ToList();
    }

    public static void Write(string dir, int partIndex, List<TrajectoryRow> rows, IReadOnlyDictionary<string, string> metadata) =>
        PartFiles.WritePartAsync(dir, partIndex, rows, metadata).GetAwaiter().GetResult();
}
