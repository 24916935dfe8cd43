using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>
/// One drawn candidate, whoever drew it. <see cref="DedupKey"/> says when two candidates of a prompt are the same
/// answer (the local generator compares token ids, a service the returned text).
/// </summary>
public sealed record DrawnCandidate(
    string PromptId, int CandidateIndex, string Text, string DedupKey, int SampledTokens, double SumLogprob,
    double MeanLogprob, string FinishReason, string ModelId, string ModelVersion);

/// <summary>
/// Where a sample job's candidates come from: the local ONNX Runtime generator, or a generator service.
/// <see cref="SampleJob"/> owns everything else (prompt selection, part files, resume, dedup, verification, rows),
/// so a job resumes, deduplicates and records lineage the same way whichever source drew its candidates.
/// </summary>
public interface ICandidateSource : IDisposable
{
    /// <summary>The model the job samples from, as recorded in the shard manifest: resuming needs the same one.</summary>
    string ModelName { get; }
    /// <summary>The version the latest candidates came from (a service may report it per answer).</summary>
    string ModelVersion { get; }
    /// <summary>Lineage producer, e.g. "rft sample".</summary>
    string Producer { get; }
    /// <summary>Settings beyond SampleJobOptions that change what is drawn (e.g. the service URL); null when none.</summary>
    string? Where { get; }
    /// <summary>K candidates of every prompt of <paramref name="slice"/>, in any order; reports sampled tokens as they come.</summary>
    Task<IReadOnlyList<DrawnCandidate>> DrawAsync(IReadOnlyList<SftExample> slice, SampleJobOptions o, Action<long> sampledTokens, CancellationToken ct);
}

/// <summary>Candidates from this process's offline engine (<see cref="GenerationEngines"/>: shared prefill, per-candidate seeds).</summary>
public sealed class LocalCandidateSource : ICandidateSource
{
    readonly ModelFolder model;
    readonly OpenedEngine engine;

    public LocalCandidateSource(ModelFolder model, SampleJobOptions o)
    {
        this.model = model;
        engine = GenerationEngines.Open(model, o.EngineSettings);
    }

    public string ModelName => model.Info.ModelName;
    public string ModelVersion => model.Info.ModelVersion;
    public string Producer => "rft sample";
    public string? Where => null;

    public Task<IReadOnlyList<DrawnCandidate>> DrawAsync(IReadOnlyList<SftExample> slice, SampleJobOptions o, Action<long> sampledTokens, CancellationToken ct)
    {
        var requests = slice.Select(e => new PromptRequest(e.Id, PromptFormat.EncodePrompt(model.Tokenizer, e.Prompt), o.K)).ToList();
        IReadOnlyList<DrawnCandidate> drawn = engine.Engine.Generate(requests, o.Sampling, ct, n => sampledTokens(n))
            .Select(g => new DrawnCandidate(g.PromptId, g.CandidateIndex, model.Tokenizer.Decode(g.Tokens), string.Join(',', g.Tokens),
                g.SampledTokens, g.SumLogprob, g.MeanLogprob, g.FinishReason, model.Info.ModelName, model.Info.ModelVersion))
            .ToList();
        return Task.FromResult(drawn);
    }

    public void Dispose() => engine.Dispose();
}
