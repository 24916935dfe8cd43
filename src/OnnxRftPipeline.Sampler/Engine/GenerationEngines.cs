using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine.GenAi;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>Where and how a batch job's engine runs: which engine, which device, how many threads and rows at once.</summary>
public sealed record EngineSettings
{
    public EngineKind Engine { get; init; } = EngineKind.Native;
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    /// <summary>ONNX Runtime intra-op threads; 0 = every core.</summary>
    public int Threads { get; init; }
    /// <summary>Most candidate rows decoded together (genai: at most 32 per generator, its limit).</summary>
    public int MaxBatchRows { get; init; } = 64;
}

/// <summary>
/// Opens the offline engine a batch job (rft sample, rft eval) draws its candidates with. Jobs see only
/// <see cref="IGenerationEngine"/>, so the engine choice is made here alone.
/// </summary>
public static class GenerationEngines
{
    /// <summary>The chosen engine for a model folder, on the chosen device (an error naming what is missing, never a silent CPU run).</summary>
    public static OpenedEngine Open(ModelFolder model, EngineSettings s)
    {
        if (s.Engine == EngineKind.GenAi)
        {
            var genai = new GenAiGenerator(model, new GenAiOptions
            {
                Threads = s.Threads, Device = s.Device, MaxBatchRows = Math.Min(s.MaxBatchRows, GenAiOptions.MaxGeneratorRows),
            });
            return new OpenedEngine(genai, genai);
        }
        var decoder = OnnxDecoder.Open(model, s.Threads, device: s.Device);
        var generator = new Generator(decoder, model.Tokenizer, new GeneratorOptions
        {
            MaxBatchRows = s.MaxBatchRows, ContextLength = model.Config.Model.ContextLength,
        });
        return new OpenedEngine(generator, decoder);
    }
}

/// <summary>An engine with what it holds open (an ONNX Runtime session): dispose it when the job is done.</summary>
public sealed class OpenedEngine(IGenerationEngine engine, IDisposable resources) : IDisposable
{
    public IGenerationEngine Engine { get; } = engine;
    public void Dispose() => resources.Dispose();
}
