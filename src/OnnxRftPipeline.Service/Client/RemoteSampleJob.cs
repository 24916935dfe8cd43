using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Service.Client;

/// <summary>
/// `rft sample --service URL`: SampleJob's prompts, part files, resume (with its settings check), verification and
/// candidate rows, with the candidates drawn by a generator service through the resilient client.
/// </summary>
public static class RemoteSampleJob
{
    public static async Task<SampleSummary> RunAsync(SampleJobOptions o, CompletionsClient client, string serviceUrl,
        IProgress<SampleProgress>? progress = null, int concurrency = 8, CancellationToken ct = default, string? requireVersion = null)
    {
        o.Validate();
        using var source = await ServiceCandidateSource.ConnectAsync(client, serviceUrl, concurrency, requireVersion, ct);
        return await SampleJob.RunAsync(o, source, progress, ct);
    }
}

/// <summary>
/// Candidates from a generator service. Each prompt is one request with n = K (one shared prefill on the server) and a
/// seed derived from (seed, prompt id), so a prompt's candidates do not depend on how requests were batched; several
/// prompts are in flight at once so the server can batch them. With <c>requireVersion</c> every request names
/// NAME/VERSION and every answer must come from that version, so a hot swap on the service mid-job fails the job
/// (before the part is written) instead of mixing two models.
/// </summary>
public sealed class ServiceCandidateSource : ICandidateSource
{
    readonly CompletionsClient client;
    readonly string serviceUrl, requested;
    readonly string? requireVersion;
    readonly SemaphoreSlim gate;
    string version;

    ServiceCandidateSource(CompletionsClient client, string serviceUrl, string name, string version, int concurrency, string? requireVersion)
    {
        this.client = client;
        this.serviceUrl = serviceUrl;
        this.requireVersion = requireVersion;
        this.version = version;
        ModelName = name;
        requested = requireVersion is null ? name : $"{name}/{requireVersion}";
        gate = new SemaphoreSlim(Math.Max(1, concurrency));
    }

    public static async Task<ServiceCandidateSource> ConnectAsync(CompletionsClient client, string serviceUrl, int concurrency, string? requireVersion, CancellationToken ct)
    {
        var served = (await client.ModelsAsync(ct)).Data.FirstOrDefault()
            ?? throw new InvalidDataException($"{serviceUrl}: the service lists no model");
        if (requireVersion is not null && served.Version != requireVersion)
            throw new InvalidDataException($"{serviceUrl}: the service serves {served.Id} version {served.Version}, expected version {requireVersion}");
        return new ServiceCandidateSource(client, serviceUrl, served.Id, served.Version ?? "", concurrency, requireVersion);
    }

    public string ModelName { get; }
    public string ModelVersion => version;
    public string Producer => "rft sample --service";
    public string? Where => serviceUrl;

    public async Task<IReadOnlyList<DrawnCandidate>> DrawAsync(IReadOnlyList<SftExample> slice, SampleJobOptions o, Action<long> sampledTokens, CancellationToken ct)
    {
        var answers = await Task.WhenAll(slice.Select(async e =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var r = await client.CompleteAsync(new CompletionCall
                {
                    Model = requested, Prompt = e.Prompt, N = o.K, Sampling = o.Sampling,
                    Seed = (long)(CandidateSeeds.Derive(o.Sampling.Seed, e.Id, 0) >> 1),
                }, ct);
                sampledTokens(r.Usage?.CompletionTokens ?? 0);
                return (Example: e, Response: r);
            }
            finally { gate.Release(); }
        }));
        var drawn = new List<DrawnCandidate>();
        foreach (var (example, response) in answers)
        {
            if (response.SystemFingerprint?.Split('/') is [_, var v]) version = v;
            if (requireVersion is not null && version != requireVersion)
                throw new InvalidDataException($"{serviceUrl}: '{example.Id}' was answered by version {version}, expected {requireVersion} (the service swapped models mid-job)");
            foreach (var c in response.Choices)
            {
                int sampled = c.SampledTokens ?? 0;
                double sum = c.SumLogprob ?? double.NaN;
                drawn.Add(new DrawnCandidate(example.Id, c.Index, c.Text, c.Text, sampled, sum, sampled == 0 ? 0 : sum / sampled,
                    c.FinishReason, response.Model, version));
            }
        }
        return drawn;
    }

    public void Dispose() => gate.Dispose();
}
