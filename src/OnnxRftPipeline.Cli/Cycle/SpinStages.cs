using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Curation.Pairs;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>
/// The iterated SPIN / IRL-SFT stages of a cycle. Stage s samples every training prompt with model s−1 through
/// the ONNX sampler (generation never runs in TorchSharp), builds pairs against the demonstrations, trains
/// policy s from model s−1 with model s−1 as the frozen reference, and exports it. Every step is a manifest
/// stage, so a killed run resumes like the rest of the cycle.
/// </summary>
internal sealed class SpinStages(CycleRunner cycle, CycleConfig cfg)
{
    /// <summary>
    /// Runs <paramref name="count"/> SPIN stages starting from the model trained into <paramref name="from"/>/checkpoint
    /// (and exported to models/<paramref name="from"/>/v1), under <paramref name="root"/>/sN/, then evaluates the last one.
    /// </summary>
    internal async Task<CycleRunner.ArmOutcome> RunAsync(StageRunner stages, CycleRunner.Shared shared, string from, string root, int count, CancellationToken ct)
    {
        if (count < 1) throw new ArgumentException($"spin_stages must be >= 1, got {count}");
        Check(cfg);
        var pairOptions = new PairOptions { Chosen = cfg.SpinChosen, Rejected = cfg.SpinRejected, RunId = shared.RunId };
        string prevCheckpoint = $"{from}/checkpoint", prevModel = $"models/{from}/v1";
        var stageNames = new List<string>();
        var sampledTotal = new List<SampleSummary>();
        int pairCount = 0;
        for (int s = 1; s <= count; s++)
        {
            string dir = $"{root}/s{s}", candidates = $"{dir}/candidates", pairs = $"{dir}/pairs", train = $"{dir}/train";
            string model = $"models/{ModelName(root, s)}/v1", name = $"spin{s}";
            string referenceCheckpoint = prevCheckpoint, samplingModel = prevModel;
            int stageSeed = cfg.Seed + s;   // a fresh random stream per stage; the model differs anyway

            var sampled = await stages.RunAsync($"{name}-sample", [shared.Train, samplingModel], [candidates], async token =>
            {
                var options = new SampleJobOptions
                {
                    Model = stages.Path(samplingModel), Prompts = stages.Path(shared.Train), K = cfg.SpinK, Verifier = shared.Verifier,
                    OutDir = stages.Path(candidates), Resume = true, Threads = cfg.Threads ?? 0, RunId = shared.RunId, Engine = cfg.EngineKind, Device = cfg.ComputeDevice,
                    Sampling = cfg.SamplingWith(stageSeed),
                };
                var r = await SampleStage.RunAsync(options, token);
                return await SampleStage.CountAsync(options.OutDir, r.PromptsResumed, r.Seconds, r.ModelVersion, token);
            }, ct);
            sampledTotal.Add(sampled);

            var paired = await stages.RunAsync($"{name}-pairs", [shared.Train, candidates], [pairs], token =>
                PairsStage.RunAsync(stages.Path(shared.Train), stages.Path(candidates), stages.Path(pairs), pairOptions, overwrite: true, token), ct);
            pairCount += paired.Pairs;

            await stages.RunAsync($"{name}-train", [pairs, referenceCheckpoint], [$"{train}/checkpoint"], async token =>
            {
                var path = stages.Path(pairs);
                return await TrainStage.RunSpinAsync(new SpinOptions
                {
                    Pairs = await PairData.LoadAsync(path, token), PairsSource = path, ReferenceCheckpoint = stages.Path(referenceCheckpoint),
                    OutDir = stages.Path(train), Beta = cfg.SpinBeta, Epochs = cfg.SpinEpochs, Preset = cfg.Preset, Resume = true,
                    Seed = cfg.Seed, Threads = cfg.Threads, RunId = shared.RunId,
                }, token, cycle.OnTrainProgress is { } tap ? p => tap(train, p) : null);
            }, ct, clear: [train]);

            await cycle.ExportAsync(stages, $"{name}-export", $"{train}/checkpoint", model, ModelName(root, s), ct);
            stageNames.AddRange([$"{name}-sample", $"{name}-pairs", $"{name}-train", $"{name}-export"]);
            prevCheckpoint = $"{train}/checkpoint";
            prevModel = model;
        }
        var eval = await cycle.EvalAsync(stages, shared, "eval-spin", prevModel, "eval/spin", ct);
        stageNames.Add("eval-spin");

        // Costs over every stage (stages may have run in earlier processes: their results and times come from the manifest).
        var records = stageNames.Select(n => stages.Manifest.Stage(n)).ToList();
        var sample = new SampleSummary(sampledTotal.Sum(s => s.Prompts), 0, sampledTotal.Sum(s => s.Candidates), 0, sampledTotal.Sum(s => s.Accepted), 0,
            sampledTotal.Sum(s => s.SampledTokens), records.Where(r => r.Name.EndsWith("-sample", StringComparison.Ordinal)).Sum(r => r.Seconds), "", "v1");
        return new CycleRunner.ArmOutcome("spin", eval, sample, null, records.Sum(r => r.Seconds), pairCount);
    }

    /// <summary>The spin_* fields; called before any stage runs, so a bad config fails at once rather than after hours of earlier stages.</summary>
    internal static void Check(CycleConfig cfg)
    {
        if (cfg.SpinStages < 0) throw new ArgumentException($"spin_stages must be >= 0, got {cfg.SpinStages}");
        if (!(cfg.SpinBeta > 0) || !double.IsFinite(cfg.SpinBeta)) throw new ArgumentException($"spin_beta must be a positive number, got {cfg.SpinBeta}");
        if (cfg.SpinEpochs < 1) throw new ArgumentException($"spin_epochs must be >= 1, got {cfg.SpinEpochs}");
        if (cfg.SpinK < 1) throw new ArgumentException($"spin_k must be >= 1, got {cfg.SpinK}");
        if (!PairOptions.ChosenPolicies.Contains(cfg.SpinChosen))
            throw new ArgumentException($"spin_chosen must be {string.Join(" or ", PairOptions.ChosenPolicies)}, got '{cfg.SpinChosen}'");
        if (!PairOptions.RejectedPolicies.Contains(cfg.SpinRejected))
            throw new ArgumentException($"spin_rejected must be one of {string.Join(", ", PairOptions.RejectedPolicies)}, got '{cfg.SpinRejected}'");
    }

    static string ModelName(string root, int stage) => $"{root.Replace('/', '-')}-s{stage}";
}
