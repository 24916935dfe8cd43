namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>
/// How candidates are drawn, end to end: `rft sample`/`rft eval` flags, the cycle config, the HTTP request and sampling-job
/// body, the client, lineage and the shard manifest all carry this one record, so its defaults are the product's defaults
/// everywhere (an HTTP field left out gets them too, as vLLM applies the model's defaults rather than OpenAI's) and
/// <see cref="Problem"/> is the one validator. Temperature 0 means greedy.
/// </summary>
public sealed record SamplingSettings
{
    /// <summary>The product's defaults (what every caller gets for a field it leaves out).</summary>
    public static readonly SamplingSettings Defaults = new();

    /// <summary>The highest temperature any caller may ask for (OpenAI's bound; above it sampling is close to uniform noise).</summary>
    public const double MaxTemperature = 2.0;

    public double Temperature { get; init; } = 0.7;
    /// <summary>0 disables top-k.</summary>
    public int TopK { get; init; }
    /// <summary>1 disables nucleus sampling.</summary>
    public double TopP { get; init; } = 1.0;
    public int MaxNewTokens { get; init; } = 128;
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public long Seed { get; init; } = 1234;

    /// <summary>
    /// The first bad field, or null. <see cref="SamplingProblem.Field"/> is the field's key in snake_case (temperature,
    /// top_k, top_p, max_new_tokens, stop); each caller says it in its own spelling (<see cref="SamplingProblem.ForCli"/>,
    /// <see cref="SamplingProblem.ForKey"/>).
    /// </summary>
    public SamplingProblem? Problem()
    {
        // Non-finite values are refused by name here, before they reach lineage JSON (which cannot hold them).
        if (!(Temperature >= 0 && Temperature <= MaxTemperature)) return new("temperature", $"must be a finite number in [0, {MaxTemperature}], got {Temperature}");
        if (TopK < 0) return new("top_k", $"must be >= 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) return new("top_p", $"must be in (0, 1], got {TopP}");
        if (MaxNewTokens < 1) return new("max_new_tokens", $"must be >= 1, got {MaxNewTokens}");
        if (StopStrings.Any(string.IsNullOrEmpty)) return new("stop", "strings must not be empty");
        return null;
    }

    /// <summary>Throws the first problem in the CLI's spelling (--temperature …): what the engine and jobs check.</summary>
    public void Validate()
    {
        if (Problem() is { } p) throw new ArgumentException(p.ForCli());
    }
}

/// <summary>One bad sampling field: its snake_case key and what is wrong with the value.</summary>
public sealed record SamplingProblem(string Field, string Message)
{
    /// <summary>"--top-k must be >= 0, got -1": the flag's spelling.</summary>
    public string ForCli() => $"--{Field.Replace('_', '-')} {Message}";

    /// <summary>"'top_k' must be >= 0, got -1": a JSON field's spelling (config file, HTTP body); <paramref name="rename"/> maps a key the caller names differently (HTTP's max_tokens).</summary>
    public string ForKey(IReadOnlyDictionary<string, string>? rename = null) => $"'{Key(rename)}' {Message}";

    public string Key(IReadOnlyDictionary<string, string>? rename = null) => rename is not null && rename.TryGetValue(Field, out var k) ? k : Field;
}
