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
    /// <summary>Null when the build stage did not run.</summary>
    public BuildSummary? Build { get; init; }
}

/// <summary>One stage of the cycle; Status is the manifest's (pending | running | done | failed).</summary>
public sealed record StageTiming(string Name, double Seconds, string Status)
{
    /// <summary>The stages of a run manifest, in manifest order.</summary>
    public static List<StageTiming> FromManifest(Cycle.RunManifest m) =>
        m.Stages.Select(s => new StageTiming(s.Name, s.Seconds, s.Status)).ToList();
}

public sealed record LossTrajectory(string ExampleId, double[] Losses, bool IsHard);

public sealed class HardnessSummary
{
    /// <summary>Selection method name as configured (e.g. "quantile", "cartography", "s2l").</summary>
    public string Method { get; init; } = "";
    /// <summary>Decision threshold on the score, when the method has one (quantile: the lowest score among hard examples).</summary>
    public double? Threshold { get; init; }
    public List<HardnessScore> Scores { get; init; } = [];
    /// <summary>How the selection meets the demonstrations known to be noisy; null for data without noise marks.</summary>
    public OnnxRftPipeline.Selection.NoiseRecovery? Noise { get; init; }
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

/// <summary>
/// What the build stage did. Fallbacks: hard prompts with no accepted candidate whose original was kept;
/// Dropped: such prompts left out (fallback "drop"); shown only when non-zero.
/// </summary>
public sealed record BuildSummary(
    long Examples,
    long Easy,
    long Hard,
    long HardWithAccepted,
    long Fallbacks,
    long GeneratedRows,
    double AcceptedPerHardPrompt,
    long Dropped = 0)
{
    public static BuildSummary From(Selection.BuildSummary s) => new(
        s.Examples, s.Easy, s.Hard, s.HardWithAccepted, s.Fallbacks, s.GeneratedRows, s.MeanAcceptedPerHardPrompt, s.Dropped);
}
