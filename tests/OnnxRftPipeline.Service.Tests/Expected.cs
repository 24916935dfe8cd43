using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>
/// What the service must answer for a single-prompt request, computed offline with the engine directly (the
/// service derives a row's random stream from the request's seed and prompt index). Load tests compare every
/// response with this, so a lost, duplicated or swapped response cannot pass.
/// </summary>
public sealed class Expected : IDisposable
{
    readonly ModelFolder _model;
    readonly OnnxDecoder _decoder;
    readonly Generator _generator;

    public Expected(string modelDir)
    {
        _model = ModelFolder.Open(modelDir);
        _decoder = new OnnxDecoder(_model.ModelPath, threads: 1, _model.Decoder.ToDecoderIo());
        _generator = new Generator(_decoder, _model.Tokenizer, new GeneratorOptions { ContextLength = _model.Config.Model.ContextLength });
    }

    public string Text(string prompt, long seed, double temperature, int maxTokens)
    {
        var s = new SamplingSettings { Temperature = temperature, MaxNewTokens = maxTokens, Seed = 0 };
        var g = _generator.Generate([new PromptRequest($"{seed}/0", PromptFormat.EncodePrompt(_model.Tokenizer, prompt), 1)], s).Single();
        return _model.Tokenizer.Decode(g.Tokens);
    }

    public void Dispose() => _decoder.Dispose();
}
