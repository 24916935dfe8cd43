using System.Diagnostics;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Verifiers;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Service.Client;

/// <summary>
/// `rft sample --service URL`: the same prompts, part files, verification and candidate rows as SampleJob, with the
/// candidates drawn by a generator service through the resilient client. Each prompt is one request with n = K (one
/// shared prefill on the server) and a seed derived from (seed, prompt id), so a prompt's candidates do not depend
/// on how requests were batched; several prompts are in flight at once so the server can batch them.
/// With <c>requireVersion</c> every request names NAME/VERSION and every answer must come from that version, so a
/// hot swap on the service mid-job fails the job (before the part is written) instead of mixing two models.
/// </summary>
public static class RemoteSampleJob
{
    public static async Task<SampleSummary> RunAsync(SampleJobOptions o, CompletionsClient client, string serviceUrl,
        IProgress<SampleProgress>? progress = null, int concurrency = 8, CancellationToken ct = default, string? requireVersion = null)
    {
        o.Validate();
        var watch = Stopwatch.StartNew();
        var verifier = VerifierFactory.Create(o.Verifier);
        var served = (await client.ModelsAsync(ct)).Data.FirstOrDefault()
            ?? throw new InvalidDataException($"{serviceUrl}: the service lists no model");
        if (requireVersion is not null && served.Version != requireVersion)
            throw new InvalidDataException($"{serviceUrl}: the service serves {served.Id} version {served.Version}, expected version {requireVersion}");
        var requested = requireVersion is null ? served.Id : $"{served.Id}/{requireVersion}";
        var prompts = await SampleJob.SelectPromptsAsync(o, ct);
        Directory.CreateDirectory(o.OutDir);
        var ours = Directory.GetFiles(o.OutDir, $"part-s{o.ShardIndex:D3}of{o.ShardCount:D3}-*.parquet");
        if (ours.Length > 0 && !o.Resume)
            throw new IOException($"{o.OutDir}: shard {o.ShardIndex}/{o.ShardCount} already has output; pass --resume to continue it or choose another --out");

        var createdAt = DateTimeOffset.UtcNow;
        var settingsJson = JsonSerializer.Serialize(new
        {
            k = o.K, temperature = o.Sampling.Temperature, top_k = o.Sampling.TopK, top_p = o.Sampling.TopP,
            max_new_tokens = o.Sampling.MaxNewTokens, stop = o.Sampling.StopStrings, service = serviceUrl,
        });
        string version = served.Version ?? "";
        int done = 0, resumed = 0, withAccepted = 0;
        long candidates = 0, distinct = 0, accepted = 0, tokens = 0;
        int parts = (prompts.Count + o.PromptsPerPart - 1) / o.PromptsPerPart;
        using var gate = new SemaphoreSlim(Math.Max(1, concurrency));
        for (int part = 0; part < parts; part++)
        {
            ct.ThrowIfCancellationRequested();
            var slice = prompts.Skip(part * o.PromptsPerPart).Take(o.PromptsPerPart).ToList();
            var name = PartFiles.ShardPartName(o.ShardIndex, o.ShardCount, part);
            if (File.Exists(Path.Combine(o.OutDir, name)))
            {
                done += slice.Count;
                resumed += slice.Count;
                progress?.Report(new SampleProgress(done, prompts.Count, tokens));
                continue;
            }
            var answers = await Task.WhenAll(slice.Select(async e =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var r = await client.CompleteAsync(new CompletionCall
                    {
                        Model = requested, Prompt = e.Prompt, N = o.K, MaxTokens = o.Sampling.MaxNewTokens, Temperature = o.Sampling.Temperature,
                        TopP = o.Sampling.TopP, TopK = o.Sampling.TopK, Stop = o.Sampling.StopStrings.Count > 0 ? o.Sampling.StopStrings : null,
                        Seed = (long)(CandidateSeeds.Derive(o.Sampling.Seed, e.Id, 0) >> 1),
                    }, ct);
                    if (r.Choices.Count != o.K) throw new InvalidDataException($"{serviceUrl}: asked {o.K} choices for '{e.Id}', got {r.Choices.Count}");
                    Interlocked.Add(ref tokens, r.Usage?.CompletionTokens ?? 0);
                    return (Example: e, Response: r);
                }
                finally { gate.Release(); }
            }));
            var rows = new List<CandidateRow>();
            foreach (var (example, response) in answers)
            {
                if (response.SystemFingerprint?.Split('/') is [_, var v]) version = v;
                if (requireVersion is not null && version != requireVersion)
                    throw new InvalidDataException($"{serviceUrl}: '{example.Id}' was answered by version {version}, expected {requireVersion} (the service swapped models mid-job)");
                int acceptedHere = 0;
                foreach (var same in response.Choices.OrderBy(c => c.Index).GroupBy(c => c.Text))
                {
                    var c = same.First();
                    var verdict = await verifier.VerifyAsync(new VerifyInput(example.Prompt, c.Text, example.Answer), ct);
                    int sampled = c.SampledTokens ?? 0;
                    double sum = c.SumLogprob ?? double.NaN;
                    rows.Add(new CandidateRow
                    {
                        PromptId = example.Id, CandidateIndex = c.Index, Text = c.Text, GeneratedTokens = sampled,
                        SumLogprob = sum, MeanLogprob = sampled == 0 ? 0 : sum / sampled, FinishReason = c.FinishReason,
                        DuplicateCount = same.Count(), Verifier = verifier.Spec, Score = verdict.Score, Accepted = verdict.Accepted,
                        ModelId = response.Model, ModelVersion = version, SamplerSettings = settingsJson,
                        Seed = o.Sampling.Seed, CreatedAt = createdAt.UtcDateTime,
                    });
                    candidates += same.Count();
                    distinct++;
                    if (verdict.Accepted) { accepted++; acceptedHere++; }
                }
                if (acceptedHere > 0) withAccepted++;
            }
            var lineage = new Lineage
            {
                RunId = o.RunId, Producer = "rft sample --service", ModelVersion = version, Seed = o.Sampling.Seed,
                Settings = settingsJson, CreatedAt = createdAt,
            }.ToMetadata();
            await PartFiles.WritePartAsync(o.OutDir, name, rows, lineage, ct);
            done += slice.Count;
            progress?.Report(new SampleProgress(done, prompts.Count, Interlocked.Read(ref tokens)));
        }
        return new SampleSummary(prompts.Count, resumed, candidates, distinct, accepted, withAccepted, tokens,
            watch.Elapsed.TotalSeconds, Path.GetFullPath(o.OutDir), version);
    }
}
