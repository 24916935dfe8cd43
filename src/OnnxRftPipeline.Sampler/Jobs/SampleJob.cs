using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Contracts.Verifiers;
using OnnxRftPipeline.Sampler.Engine;
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
    public static async Task<SampleSummary> RunAsync(SampleJobOptions o, IProgress<SampleProgress>? progress = null, CancellationToken ct = default)
    {
        o.Validate();
        var watch = Stopwatch.StartNew();
        var model = ModelFolder.Open(o.Model);
        var verifier = VerifierFactory.Create(o.Verifier);
        var prompts = await SelectPromptsAsync(o, ct);
        var manifest = ShardManifest.OpenOrCreate(o, model, prompts.Count);

        var settingsJson = JsonSerializer.Serialize(new
        {
            k = o.K, temperature = o.Sampling.Temperature, top_k = o.Sampling.TopK, top_p = o.Sampling.TopP,
            max_new_tokens = o.Sampling.MaxNewTokens, stop = o.Sampling.StopStrings,
        });
        var lineage = new Lineage
        {
            RunId = o.RunId, Producer = "rft sample", ModelVersion = model.Info.ModelVersion, Seed = o.Sampling.Seed,
            Settings = settingsJson, CreatedAt = manifest.CreatedAt,
        }.ToMetadata();

        using var decoder = OnnxDecoder.Open(model, o.Threads);
        var generator = new Generator(decoder, model.Tokenizer, new GeneratorOptions
        {
            MaxBatchRows = o.MaxBatchRows, ContextLength = model.Config.Model.ContextLength,
        });

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
            var requests = slice.Select(e => new PromptRequest(e.Id, PromptFormat.EncodePrompt(model.Tokenizer, e.Prompt), o.K)).ToList();
            var rows = new List<CandidateRow>();
            foreach (var group in generator.Generate(requests, o.Sampling, ct, n => { tokens += n; progress?.Report(new SampleProgress(done, prompts.Count, tokens)); })
                         .GroupBy(g => g.PromptId))
            {
                var example = slice.First(e => e.Id == group.Key);
                int acceptedHere = 0;
                foreach (var same in group.OrderBy(g => g.CandidateIndex).GroupBy(g => string.Join(',', g.Tokens)))
                {
                    var g = same.First();
                    var text = model.Tokenizer.Decode(g.Tokens);
                    var verdict = await verifier.VerifyAsync(new VerifyInput(example.Prompt, text, example.Answer), ct);
                    rows.Add(new CandidateRow
                    {
                        PromptId = g.PromptId, CandidateIndex = g.CandidateIndex, Text = text, GeneratedTokens = g.SampledTokens,
                        SumLogprob = g.SumLogprob, MeanLogprob = g.MeanLogprob, FinishReason = g.FinishReason,
                        DuplicateCount = same.Count(), Verifier = verifier.Spec, Score = verdict.Score, Accepted = verdict.Accepted,
                        ModelId = model.Info.ModelName, ModelVersion = model.Info.ModelVersion, SamplerSettings = settingsJson,
                        Seed = o.Sampling.Seed, CreatedAt = manifest.CreatedAt.UtcDateTime,
                    });
                    candidates += same.Count();
                    distinct++;
                    if (verdict.Accepted) { accepted++; acceptedHere++; }
                }
                if (acceptedHere > 0) withAccepted++;
            }
            await PartFiles.WritePartAsync(o.OutDir, name, rows, lineage, ct);
            done += slice.Count;
            progress?.Report(new SampleProgress(done, prompts.Count, tokens));
        }
        manifest.MarkComplete();
        return new SampleSummary(prompts.Count, resumed, candidates, distinct, accepted, withAccepted, tokens,
            watch.Elapsed.TotalSeconds, Path.GetFullPath(o.OutDir), model.Info.ModelVersion);
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
