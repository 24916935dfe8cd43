using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Data;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>Everything a training run needs. Unset hyperparameters take the preset's defaults.</summary>
public sealed class TrainOptions
{
    public required IReadOnlyList<TrainExample> Examples { get; init; }
    /// <summary>Where the data came from, for error messages and lineage.</summary>
    public string DataSource { get; init; } = "training data";
    public required string OutDir { get; init; }
    public int? Epochs { get; init; }
    public string Preset { get; init; } = "small";
    /// <summary>Overrides the preset's architecture (ignored with Init or Resume, which carry their own).</summary>
    public LlamaConfig? Config { get; init; }
    /// <summary>Checkpoint folder to start from (retraining from base).</summary>
    public string? InitCheckpoint { get; init; }
    public ObjectiveOptions Objective { get; init; } = ObjectiveOptions.Ce;
    /// <summary>Continue from OutDir/checkpoint's trainer state if one exists.</summary>
    public bool Resume { get; init; }
    public int Seed { get; init; } = 1234;
    /// <summary>Intra-op threads; default the machine's core count.</summary>
    public int? Threads { get; init; }
    public double? LearningRate { get; init; }
    public int? BatchSize { get; init; }
    public int? WarmupSteps { get; init; }
    public double? WeightDecay { get; init; }
    public double? GradClip { get; init; }
    public double? MinLrRatio { get; init; }
    public int GradAccumulation { get; init; } = 1;
    public bool RecordTrajectories { get; init; } = true;
    /// <summary>Also record trajectories every N optimizer steps (0 = only at epoch ends).</summary>
    public int TrajectoryEverySteps { get; init; }
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>Save a resumable checkpoint every N optimizer steps besides every epoch end (0 = epoch ends only).</summary>
    public int SaveEverySteps { get; init; }
    /// <summary>Stop after this many optimizer steps in total (benchmarks); the state is saved there.</summary>
    public long? MaxSteps { get; init; }
    /// <summary>Stop at the first step boundary after this much training time; the state is saved there.</summary>
    public TimeSpan? TimeLimit { get; init; }
    public ITokenizer? Tokenizer { get; init; }
    /// <summary>The model's prompt template from now on (stored with the checkpoint); null keeps the init checkpoint's.</summary>
    public PromptTemplate? PromptTemplate { get; init; }
    public string RunId { get; init; } = $"train-{DateTime.UtcNow:yyyyMMddTHHmmss}";
}

/// <summary>One progress report, sent after every optimizer step (and while recording trajectories).</summary>
public sealed record TrainProgress(
    int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double TokensPerSecond, TimeSpan Eta, string Phase = "train");

public sealed record TrainResult(
    string CheckpointDir,
    string? TrajectoriesDir,
    string RunLogPath,
    long GlobalSteps,
    IReadOnlyList<double> EpochMeanLosses,
    double LastStepLoss,
    long ParameterCount,
    long TrainTokens,
    /// <summary>Tokens per second over the optimizer steps of this process, excluding the first (warm-up).</summary>
    double TokensPerSecond,
    double TrainSeconds,
    /// <summary>Trajectory recording time as a share of epoch time, over this process's epochs.</summary>
    double TrajectoryShare,
    /// <summary>True when MaxSteps or TimeLimit ended the run before its last epoch.</summary>
    bool StoppedAtLimit);
