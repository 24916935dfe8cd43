using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Offline generation as batch jobs use it (rft sample, rft eval): K candidates for each prompt, yielded group by group
/// in input order, every candidate finished by the same rules (eos, stop string cut from the text, max new tokens,
/// context length). The native engine's offline driver (<see cref="Generator"/>) and onnxruntime-genai's generator
/// implement it, so a job writes the same candidate files whichever engine drew them.
/// </summary>
public interface IGenerationEngine
{
    /// <summary>Every candidate of every prompt; <paramref name="onTokens"/> is told how many tokens each step sampled.</summary>
    IEnumerable<Generation> Generate(IReadOnlyList<PromptRequest> prompts, SamplingSettings s,
        CancellationToken ct = default, Action<int>? onTokens = null);
}
