using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Verifiers;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

public sealed record EvalOptions
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required string Verifier { get; init; }
    public required string OutDir { get; init; }
    /// <summary>pass@k with k sampled candidates when > 1 (greedy pass@1 is always measured).</summary>
    public int K { get; init; } = 1;
    /// <summary>pass@k's sampling settings; greedy pass@1 uses them with temperature 0.</summary>
    public SamplingSettings Sampling { get; init; } = SamplingSettings.Defaults;
    // The three settings eval offers, as views of Sampling (one record, one set of defaults).
    public double Temperature { get => Sampling.Temperature; init => Sampling = Sampling with { Temperature = value }; }
    public int MaxNewTokens { get => Sampling.MaxNewTokens; init => Sampling = Sampling with { MaxNewTokens = value }; }
    public long Seed { get => Sampling.Seed; init => Sampling = Sampling with { Seed = value }; }
    public int Threads { get; init; }
    public int MaxBatchRows { get; init; } = 64;
    public EngineKind Engine { get; init; } = EngineKind.Native;
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    public bool Overwrite { get; init; }
}

/// <summary>eval.json: what a model scored on a data set.</summary>
public sealed record EvalSummary(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("verifier")] string Verifier,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("greedy_pass_at_1")] double GreedyAccuracy,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("pass_at_k")] double? PassAtK,
    [property: JsonPropertyName("sampled_tokens")] long SampledTokens,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    public const string FileName = "eval.json";
    public static EvalSummary Load(string outDir) =>
        JsonSerializer.Deserialize<EvalSummary>(File.ReadAllText(Path.Combine(outDir, FileName)))
        ?? throw new InvalidDataException($"{outDir}/{FileName}: empty");
}

/// <summary>Greedy pass@1 and (optionally) sampled pass@k of a model on an SFT data set, per example and overall.</summary>
public static class EvalJob
{
    public static async Task<EvalSummary> RunAsync(EvalOptions o, IProgress<SampleProgress>? progress = null, CancellationToken ct = default)
    {
        if (o.K < 1) throw new ArgumentException($"--k must be >= 1, got {o.K}");
        if (o.Threads < 0) throw new ArgumentException($"--threads must be 0 (all cores) or more, got {o.Threads}");
        o.Sampling.Validate();
        var watch = Stopwatch.StartNew();
        var model = ModelFolder.Open(o.Model);
        var verifier = VerifierFactory.Create(o.Verifier);
        var data = (await PartFiles.ReadAllAsync<SftExample>(o.Data, ct)).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        using var engine = GenerationEngines.Open(model, new EngineSettings { Engine = o.Engine, Device = o.Device, Threads = o.Threads, MaxBatchRows = o.MaxBatchRows });
        IGenerationEngine generator = engine.Engine;
        long tokens = 0;
        int total = data.Count * (o.K > 1 ? 2 : 1), done = 0;

        async Task<Dictionary<string, List<(string Text, VerifierResult V)>>> Run(int k, SamplingSettings s)
        {
            var requests = data.Select(e => new PromptRequest(e.Id, PromptFormat.EncodePrompt(model.Tokenizer, e.Prompt), k)).ToList();
            var byId = data.ToDictionary(e => e.Id);
            var results = new Dictionary<string, List<(string, VerifierResult)>>();
            foreach (var g in generator.Generate(requests, s, ct, n => { tokens += n; progress?.Report(new SampleProgress(done, total, tokens)); }))
            {
                var text = model.Tokenizer.Decode(g.Tokens);
                var e = byId[g.PromptId];
                var v = await verifier.VerifyAsync(new VerifyInput(e.Prompt, text, e.Answer), ct);
                if (!results.TryGetValue(g.PromptId, out var list)) results[g.PromptId] = list = [];
                list.Add((text, v));
                if (list.Count == k) progress?.Report(new SampleProgress(++done, total, tokens));
            }
            return results;
        }

        var modelName = $"{model.Info.ModelName}/{model.Info.ModelVersion}";
        var rows = new List<EvalResultRow>();
        var greedy = await Run(1, o.Sampling with { Temperature = 0 });
        foreach (var e in data)
        {
            var (text, v) = greedy[e.Id][0];
            rows.Add(new EvalResultRow { ExampleId = e.Id, Model = modelName, K = 1, Correct = v.Accepted, Score = v.Score, Prediction = text });
        }
        double? passAtK = null;
        if (o.K > 1)
        {
            var sampled = await Run(o.K, o.Sampling);
            foreach (var e in data)
            {
                var c = sampled[e.Id];
                var best = c.FirstOrDefault(x => x.V.Accepted);
                rows.Add(new EvalResultRow
                {
                    ExampleId = e.Id, Model = modelName, K = o.K, Correct = best.V is not null, Score = c.Max(x => x.V.Score),
                    Prediction = best.V is not null ? best.Text : c[0].Text,
                });
            }
            passAtK = data.Count == 0 ? 0 : rows.Count(r => r.K == o.K && r.Correct) / (double)data.Count;
        }
        var summary = new EvalSummary(modelName, model.Info.ModelVersion, Path.GetFullPath(o.Data), verifier.Spec, data.Count,
            data.Count == 0 ? 0 : rows.Count(r => r.K == 1 && r.Correct) / (double)data.Count, o.K, passAtK, tokens, watch.Elapsed.TotalSeconds);
        var lineage = new Lineage { RunId = "", Producer = "rft eval", ModelVersion = model.Info.ModelVersion, Seed = o.Seed }
            .WithSettings(new { k = o.K, temperature = o.Temperature, max_new_tokens = o.MaxNewTokens, verifier = verifier.Spec,
                engine = EngineKinds.Name(o.Engine), device = ComputeDevices.Name(o.Device) }).ToMetadata();
        await StagedFolder.WriteAsync(o.OutDir, async dir =>
        {
            await PartFiles.WritePartAsync(Path.Combine(dir, "results"), 0, rows, lineage, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, EvalSummary.FileName), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }), ct);
        }, o.Overwrite, ct);
        return summary;
    }
}
