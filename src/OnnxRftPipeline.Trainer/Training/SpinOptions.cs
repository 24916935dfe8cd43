using OnnxRftPipeline.Trainer.Data;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>Everything a SPIN run needs. Unset hyperparameters take the preset's defaults (as for SFT).</summary>
public sealed class SpinOptions
{
    public required IReadOnlyList<TrainPair> Pairs { get; init; }
    /// <summary>Where the pairs came from, for error messages.</summary>
    public string PairsSource { get; init; } = "pairs";
    /// <summary>Checkpoint of the frozen reference model πref.</summary>
    public required string ReferenceCheckpoint { get; init; }
    /// <summary>Checkpoint the policy starts from; null = the reference (SPIN's θ0 = πref).</summary>
    public string? InitCheckpoint { get; init; }
    public required string OutDir { get; init; }
    public double Beta { get; init; } = 0.1;
    public int? Epochs { get; init; }
    /// <summary>Only selects default hyperparameters; the architecture comes from the checkpoints.</summary>
    public string Preset { get; init; } = "small";
    public bool Resume { get; init; }
    public int Seed { get; init; } = 1234;
    public int? Threads { get; init; }
    /// <summary>Peak learning rate; default the preset's SFT rate × <see cref="DefaultLearningRateScale"/>.</summary>
    public double? LearningRate { get; init; }
    /// <summary>
    /// A contrastive objective moves sequence log-probabilities far faster than SFT does: at the SFT rate (1e-3 for
    /// `small`) one stage on 259 good pairs (8 steps) moved the margin by 19 nats and the sort task's accuracy fell
    /// from 93.0 % to 24.5 %; at a tenth of it, 96.5 %; at a hundredth, 94.0 % (barely moved).
    /// </summary>
    public const double DefaultLearningRateScale = 0.1;
    /// <summary>Pairs per optimizer step (each pair is two sequences).</summary>
    public int? BatchSize { get; init; }
    public int? WarmupSteps { get; init; }
    public double? WeightDecay { get; init; }
    public double? GradClip { get; init; }
    public double? MinLrRatio { get; init; }
    public int EvalBatchSize { get; init; } = 64;
    public int SaveEverySteps { get; init; }
    public long? MaxSteps { get; init; }
    public string RunId { get; init; } = $"spin-{DateTime.UtcNow:yyyyMMddTHHmmss}";
}

/// <summary>A progress report after every optimizer step: the step itself plus this step's mean margin and accuracy.</summary>
public sealed record SpinProgress(TrainProgress Train, double Margin, double Accuracy);

public sealed record SpinResult(
    string CheckpointDir,
    string RunLogPath,
    long GlobalSteps,
    IReadOnlyList<double> EpochMeanLosses,
    IReadOnlyList<double> EpochMeanMargins,
    IReadOnlyList<double> EpochAccuracies,
    /// <summary>Over all pairs before the first step (fresh runs only; null when resumed).</summary>
    SpinMetrics? Initial,
    /// <summary>Over all pairs after the last step (null when stopped at a limit).</summary>
    SpinMetrics? Final,
    long ParameterCount,
    long TrainTokens,
    double TokensPerSecond,
    double TrainSeconds,
    bool StoppedAtLimit);
