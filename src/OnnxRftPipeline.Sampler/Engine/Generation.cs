namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>One prompt to complete <see cref="Candidates"/> times.</summary>
public sealed record PromptRequest(string PromptId, int[] Tokens, int Candidates);

/// <summary>
/// One finished candidate. <see cref="Tokens"/> excludes eos and any stop sequence; <see cref="SampledTokens"/>
/// counts every token drawn (the compute spent); <see cref="SumLogprob"/> covers every sampled token, eos included,
/// under the model's untempered distribution.
/// </summary>
public sealed record Generation(string PromptId, int CandidateIndex, int[] Tokens, int SampledTokens, double SumLogprob, string FinishReason)
{
    public double MeanLogprob => SampledTokens == 0 ? 0 : SumLogprob / SampledTokens;
    /// <summary>The model's log-probability of each token in <see cref="Tokens"/> (same length), for OpenAI-style logprobs.</summary>
    public IReadOnlyList<double> TokenLogprobs { get; init; } = [];
}

public sealed record GeneratorOptions
{
    /// <summary>Most candidate rows decoded together; prompts are grouped up to this many rows.</summary>
    public int MaxBatchRows { get; init; } = 64;
    /// <summary>Prefill each prompt once and copy its KV cache to its K candidates (GenAI prefills K times).</summary>
    public bool SharedPrefill { get; init; } = true;
    /// <summary>false recomputes the whole sequence every step (the benchmark's no-cache baseline).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>The model's context length: a row stops with "length" when it is full.</summary>
    public int ContextLength { get; init; } = int.MaxValue;
}
