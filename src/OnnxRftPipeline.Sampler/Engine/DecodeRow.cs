using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// One candidate being decoded, in either driver (<see cref="Generator"/> or <see cref="ContinuousBatch"/>). Its random
/// stream is fixed by (settings seed, prompt id, candidate index) alone (<see cref="CandidateSeeds"/>), so the same
/// candidate comes out whatever batch, driver or order it is decoded in.
/// </summary>
sealed class DecodeRow(PromptRequest request, int candidate, SamplingSettings settings, int[][] stops, object? tag = null, int prompt = 0)
{
    /// <summary>The caller's handle for the request the row belongs to (the continuous batcher's; null offline).</summary>
    public readonly object? Tag = tag;
    public readonly PromptRequest Request = request;
    /// <summary>The row's prompt's index in the offline driver's group (its prefill unit when the prefill is shared).</summary>
    public readonly int Prompt = prompt;
    public readonly int Candidate = candidate;
    public readonly SamplingSettings Settings = settings;
    /// <summary>The settings' stop strings as token sequences (empty encodings dropped).</summary>
    public readonly int[][] Stops = stops;
    public SplitMix64 Rng = new(CandidateSeeds.Derive(settings.Seed, request.PromptId, candidate));
    public readonly List<int> Tokens = [];
    public readonly List<double> TokenLogprobs = [];
    public int Sampled, Last;
    /// <summary>Continuous batching: the first cache column the row owns (its cache is right-aligned).</summary>
    public int Start;
    /// <summary>Continuous batching: the row's index in the current cache tensors (which may still hold rows that left).</summary>
    public int Slot;
    public double SumLogprob;
    public string? Finish;
    public int PromptLength => Request.Tokens.Length;

    public Generation ToGeneration() => new(Request.PromptId, Candidate, Tokens.ToArray(), Sampled, SumLogprob, Finish!)
    {
        TokenLogprobs = TokenLogprobs.ToArray(),
    };
}
