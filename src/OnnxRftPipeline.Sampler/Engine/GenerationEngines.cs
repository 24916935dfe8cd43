using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Opens the offline engine a batch job (rft sample, rft eval) draws its candidates with. Jobs see only
/// <see cref="IGenerationEngine"/>, so the engine choice is made here alone.
/// </summary>
public static class GenerationEngines
{
    /// <summary>The native engine (<see cref="Generator"/> over this process's ONNX Runtime session) for a model folder.</summary>
    public static OpenedEngine Open(ModelFolder model, int threads, int maxBatchRows)
    {
        var decoder = OnnxDecoder.Open(model, threads);
        var generator = new Generator(decoder, model.Tokenizer, new GeneratorOptions
        {
            MaxBatchRows = maxBatchRows, ContextLength = model.Config.Model.ContextLength,
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
