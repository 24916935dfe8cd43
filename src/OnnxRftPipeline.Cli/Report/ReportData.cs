namespace OnnxRftPipeline.Cli.Report;

/// <summary>
/// Everything the run report shows, filled by the cycle from its stages. Plain data: no file I/O,
/// so the report can be rendered from a finished run or from synthetic numbers in tests.
/// </summary>
public sealed class ReportData
{
    public string RunId { get; init; } = "";
    public string RunFolder { get; init; } = "";
    /// <summary>The run's config as JSON text, shown verbatim in the report.</summary>
    public string ConfigJson { get; init; } = "";
    public string TaskName { get; init; } = "";
    public List<StageTiming> Stages { get; init; } = [];
    /// <summary>Probe-SFT loss per recorded point, one entry per example.</summary>
    public List<LossTrajectory> Trajectories { get; init; } = [];
    public HardnessSummary Hardness { get; init; } = new();
    /// <summary>Evaluated models, in the order they should appear (e.g. "probe SFT", "RFT on hard prompts (this run)").</summary>
    public List<ArmResult> Arms { get; init; } = [];
    /// <summary>What the build stage did (the builder's own summary); null when it did not run.</summary>
    public OnnxRftPipeline.Curation.NextStage.BuildSummary? Build { get; init; }
}

/// <summary>One stage of the cycle; Status is the manifest's (pending | running | done | failed).</summary>
public sealed record StageTiming(string Name, double Seconds, string Status);

public sealed record LossTrajectory(string ExampleId, double[] Losses, bool IsHard);

public sealed class HardnessSummary
{
    /// <summary>Selection method name as configured (e.g. "quantile", "cartography", "s2l").</summary>
    public string Method { get; init; } = "";
    /// <summary>Decision threshold on the score, when the method has one (quantile: the lowest score among hard examples).</summary>
    public double? Threshold { get; init; }
    public List<HardnessScore> Scores { get; init; } = [];
    /// <summary>How the selection meets the demonstrations known to be noisy; null for data without noise marks.</summary>
    public OnnxRftPipeline.Curation.Selection.NoiseRecovery? Noise { get; init; }
}

public sealed record HardnessScore(string ExampleId, double Score, bool IsHard);

/// <summary>
/// One evaluated arm. GreedyAccuracy and PassAtK are fractions in 0..1; PassAtK is null when not sampled.
/// K names the k of pass@k when known. CandidatesDrawn and SamplerTokens count what the arm cost to build
/// (0 for an arm that drew no samples). VsBaseline compares the arm prompt by prompt with the first arm (null for the
/// first arm, or when per-prompt results are not available).
/// </summary>
public sealed record ArmResult(
    string Name,
    double GreedyAccuracy,
    double? PassAtK,
    long CandidatesDrawn,
    long SamplerTokens,
    double WallSeconds,
    int? K = null,
    PairedComparison? VsBaseline = null);

