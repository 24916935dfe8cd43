namespace OnnxRftPipeline.Curation.NextStage;

public sealed record BuildOptions
{
    /// <summary>replace: hard examples are trained on accepted candidates only; augment: the original too.</summary>
    public string Policy { get; init; } = "replace";
    /// <summary>keep-original | drop: what happens to a hard example with no accepted candidate.</summary>
    public string Fallback { get; init; } = "keep-original";
    /// <summary>At most this many distinct accepted candidates per hard prompt (RFT's distinct reasoning paths).</summary>
    public int MaxPerPrompt { get; init; } = 4;
    /// <summary>uniform: every row weight 1; per-prompt: a hard prompt's generated rows share weight 1 so prompts count equally.</summary>
    public string Weighting { get; init; } = "uniform";
    public string RunId { get; init; } = "";
}
