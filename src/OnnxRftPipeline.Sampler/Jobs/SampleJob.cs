using System.Diagnostics;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Verifiers;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>
/// Draws K candidates per prompt (optionally only the hard ones, optionally one shard of them), deduplicates
/// identical candidates per prompt, scores each with the verifier and writes candidates part files.
/// Each part covers a fixed, deterministic slice of the shard's prompts and is renamed into place when
/// complete, so --resume skips finished parts and produces exactly what an uninterrupted run would.
/// </summary>
public static class SampleJob
{
    /// <summary>Samples with this process's ONNX Runtime generator.</summary>
    public static async Task<SampleSummary> RunAsync(SampleJobOptions o, IProgress<SampleProgress>? progress = null, CancellationToken ct = default)
    {
        o.Validate();
        var model = ModelFolder.Open(o.Model);
        using var source = new LocalCandidateSource(model, o);
        return await RunAsync(o, source, progress, ct);
    }

    /// <summary>Samples with any candidate source: the part loop, resume, dedup and verification are the same for all.</summary>
    public static async Task<SampleSummary> RunAsync(SampleJobOptions o, ICandidateSource source, IProgress<SampleProgress>? progress = null, CancellationToken ct = default)
    {
        o.Validate();
        // One writer per shard of an output folder (shards of one job may share it): a second process is refused, naming this one.
        using var held = RunFolderLock.Acquire(o.OutDir, $"s{o.ShardIndex:D3}of{o.ShardCount:D3}", $"output folder's shard {o.ShardIndex}/{o.ShardCount}");
        var watch = Stopwatch.StartNew();
        var verifier = VerifierFactory.Create(o.Verifier);
        var prompts = await SelectPromptsAsync(o, ct);
        var manifest = ShardManifest.OpenOrCreate(o, source.ModelName, source.ModelVersion, source.Where, prompts.Count);
        // A job that fails (or is cancelled) before its first part leaves no manifest behind to refuse the corrected rerun.
        using var cleanup = manifest.RemoveUnlessUsed();
        var settingsJson = new SampledWith(o.K, o.Sampling, source.Where, o.Engine, o.Device).ToJson();

        int done = 0, resumed = 0, withAccepted = 0;
        long candidates = 0, distinct = 0, accepted = 0, tokens = 0;
        int parts = (prompts.Count + o.PromptsPerPart - 1) / o.PromptsPerPart;
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
            var drawn = await source.DrawAsync(slice, o, n => progress?.Report(new SampleProgress(done, prompts.Count, Interlocked.Add(ref tokens, n))), ct);
            var byPrompt = drawn.ToLookup(c => c.PromptId, StringComparer.Ordinal);
            var rows = new List<CandidateRow>();
            foreach (var example in slice)
            {
                if (byPrompt[example.Id].Count() != o.K)
                    throw new InvalidDataException($"{source.Producer}: drew {byPrompt[example.Id].Count()} candidates for '{example.Id}', expected {o.K}");
                int acceptedHere = 0;
                foreach (var same in byPrompt[example.Id].OrderBy(c => c.CandidateIndex).GroupBy(c => c.DedupKey, StringComparer.Ordinal))
                {
                    var c = same.First();
                    var verdict = await verifier.VerifyAsync(new VerifyInput(example.Prompt, c.Text, example.Answer), ct);
                    rows.Add(new CandidateRow
                    {
                        PromptId = c.PromptId, CandidateIndex = c.CandidateIndex, Text = c.Text, GeneratedTokens = c.SampledTokens,
                        SumLogprob = c.SumLogprob, MeanLogprob = c.MeanLogprob, FinishReason = c.FinishReason,
                        DuplicateCount = same.Count(), Verifier = verifier.Spec, Score = verdict.Score, Accepted = verdict.Accepted,
                        ModelId = c.ModelId, ModelVersion = c.ModelVersion, SamplerSettings = settingsJson,
                        Seed = o.Sampling.Seed, CreatedAt = manifest.CreatedAt.UtcDateTime,
                    });
                    candidates += same.Count();
                    distinct++;
                    if (verdict.Accepted) { accepted++; acceptedHere++; }
                }
                if (acceptedHere > 0) withAccepted++;
            }
            var lineage = new Lineage
            {
                RunId = o.RunId, Producer = source.Producer, ModelVersion = source.ModelVersion, Seed = o.Sampling.Seed,
                Settings = settingsJson, CreatedAt = manifest.CreatedAt,
            }.ToMetadata();
            await PartFiles.WritePartAsync(o.OutDir, name, rows, lineage, ct);
            done += slice.Count;
            progress?.Report(new SampleProgress(done, prompts.Count, Interlocked.Read(ref tokens)));
        }
        manifest.MarkComplete();
        return new SampleSummary(prompts.Count, resumed, candidates, distinct, accepted, withAccepted, tokens,
            watch.Elapsed.TotalSeconds, Path.GetFullPath(o.OutDir), source.ModelVersion);
    }

    /// <summary>The shard's prompts in id order; with --only-hard, just those the hardness marks hard.</summary>
    public static async Task<List<SftExample>> SelectPromptsAsync(SampleJobOptions o, CancellationToken ct)
    {
        var examples = await PartFiles.ReadAllAsync<SftExample>(o.Prompts, ct);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in examples)
            if (!ids.Add(e.Id)) throw new InvalidDataException($"{o.Prompts}: example id '{e.Id}' appears twice");
        if (o.Hardness is not null && o.OnlyHard)
        {
            var hard = (await PartFiles.ReadAllAsync<HardnessRow>(o.Hardness, ct)).ToDictionary(h => h.ExampleId, h => h.IsHard, StringComparer.Ordinal);
            var missing = examples.FirstOrDefault(e => !hard.ContainsKey(e.Id));
            if (missing is not null)
                throw new InvalidDataException($"{o.Hardness}: no hardness row for example '{missing.Id}' of {o.Prompts}");
            examples = examples.Where(e => hard[e.Id]).ToList();
        }
        return examples.Where(e => CandidateSeeds.ShardOf(e.Id, o.ShardCount) == o.ShardIndex)
            .OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
    }
}
