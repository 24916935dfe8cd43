using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Trainer.Checkpoints;

/// <summary>
/// Where a run stands, saved beside the weights and optimizer moments. The data order is a pure
/// function of (seed, epoch), and a training step draws no random numbers (no dropout), so
/// (seed, epoch, next batch) is the whole RNG state a resumed run needs.
/// </summary>
public sealed class TrainerState
{
    [JsonPropertyName("version")] public int Version { get; set; } = 1;
    [JsonPropertyName("run_id")] public string RunId { get; set; } = "";
    [JsonPropertyName("seed")] public int Seed { get; set; }
    /// <summary>The epoch to continue (0-based); equals epochs when the run is finished.</summary>
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    /// <summary>The first batch of <see cref="Epoch"/>'s order not yet trained on.</summary>
    [JsonPropertyName("next_batch")] public int NextBatch { get; set; }
    [JsonPropertyName("global_step")] public long GlobalStep { get; set; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; set; }
    [JsonPropertyName("epochs")] public int Epochs { get; set; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("grad_accumulation")] public int GradAccumulation { get; set; }
    [JsonPropertyName("objective")] public string Objective { get; set; } = "";
    [JsonPropertyName("data_fingerprint")] public string DataFingerprint { get; set; } = "";
    /// <summary>How many trajectory parts exist, so a resumed run numbers the next one the same way.</summary>
    [JsonPropertyName("trajectory_parts")] public int TrajectoryParts { get; set; }
    [JsonPropertyName("epoch_loss_sum")] public double EpochLossSum { get; set; }
    [JsonPropertyName("epoch_loss_steps")] public long EpochLossSteps { get; set; }
    [JsonPropertyName("epoch_mean_losses")] public List<double> EpochMeanLosses { get; set; } = [];
    [JsonPropertyName("train_tokens")] public long TrainTokens { get; set; }
    // SPIN runs only (zero/empty for SFT): the running epoch's reward-margin sum and correctly ordered pairs.
    [JsonPropertyName("epoch_margin_sum")] public double EpochMarginSum { get; set; }
    [JsonPropertyName("epoch_correct_pairs")] public long EpochCorrectPairs { get; set; }
    [JsonPropertyName("epoch_pairs")] public long EpochPairs { get; set; }
    [JsonPropertyName("epoch_mean_margins")] public List<double> EpochMeanMargins { get; set; } = [];
    [JsonPropertyName("epoch_accuracies")] public List<double> EpochAccuracies { get; set; } = [];

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static TrainerState Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty trainer state");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid trainer state ({e.Message})"); }
    }
}
