namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>How candidates are drawn. Temperature 0 means greedy.</summary>
public sealed record SamplingSettings
{
    public double Temperature { get; init; } = 0.7;
    /// <summary>0 disables top-k.</summary>
    public int TopK { get; init; }
    /// <summary>1 disables nucleus sampling.</summary>
    public double TopP { get; init; } = 1.0;
    public int MaxNewTokens { get; init; } = 128;
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public long Seed { get; init; } = 1234;

    public void Validate()
    {
        // Non-finite values are refused by name here, before they reach lineage JSON (which cannot hold them).
        if (!(Temperature >= 0) || !double.IsFinite(Temperature)) throw new ArgumentException($"--temperature must be a finite number >= 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"--top-k must be >= 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"--top-p must be in (0, 1], got {TopP}");
        if (MaxNewTokens < 1) throw new ArgumentException($"--max-new-tokens must be >= 1, got {MaxNewTokens}");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("--stop strings must not be empty");
    }
}
