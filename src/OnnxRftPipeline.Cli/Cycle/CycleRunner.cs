using System.Text.Json;
using OnnxRftPipeline.Cli.Verbs;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Selection;
using OnnxRftPipeline.Tasks.Synth;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>What a finished cycle produced, for the console summary and the report.</summary>
public sealed record CycleResult(string RunDir, RunManifest Manifest, EvalSummary ProbeEval, EvalSummary FinalEval, SampleSummary Sample, BuildSummary Build);

/// <summary>
/// One retraining cycle in a run folder: data → probe SFT with trajectories → export → select → sample hard
/// prompts → build → retrain from the base → export → eval. Each stage writes its outputs atomically and is
/// recorded in manifest.json, so running the same command again resumes at the first unfinished stage;
/// training and sampling also resume inside the stage from their last saved state.
/// </summary>
public sealed class CycleRunner(string runDir, CycleConfig cfg)
{
    /// <summary>Called as each stage starts (tests use it to simulate a kill at a chosen point).</summary>
    public Action<string>? OnStageStarting { get; init; }

    /// <summary>Sees every training progress report of a stage, synchronously (tests use it to kill mid-training).</summary>
    public Action<string, TrainProgress>? OnTrainProgress { get; init; }

    public string RunDir { get; } = Path.GetFullPath(runDir);

    public async Task<CycleResult> RunAsync(CancellationToken ct)
    {
        var manifest = OpenManifest();
        var stages = new StageRunner(RunDir, manifest, cfg.StageRetries) { OnStageStarting = OnStageStarting };
        var runId = manifest.RunId;

        // 1. Data.
        string train = "data/train", eval = "data/eval";
        if (cfg.Data is null)
        {
            await stages.RunAsync("data", [], [train, eval], async (rec, token) =>
            {
                var s = await SynthRunner.RunAsync(new SynthRequest(cfg.Task, cfg.N, cfg.EvalN, cfg.Seed,
                    SynthOptions.FromCli(cfg.Noise, cfg.Difficulty), stages.Path("data"), Overwrite: true), token);
                rec.Metrics["train_rows"] = s.TrainRows;
                rec.Metrics["noisy_rows"] = s.NoisyRows;
            }, ct);
        }
        else
        {
            train = Path.GetFullPath(Path.Combine(cfg.Data, "train"));
            eval = Path.GetFullPath(Path.Combine(cfg.Data, "eval"));
        }
        var verifier = cfg.Verifier ?? BundledTasks.Get(cfg.Task).DefaultVerifier;

        // 2. Probe SFT with loss trajectories.
        await stages.RunAsync("probe", [train], ["probe/checkpoint", "probe/trajectories"],
            (rec, token) => TrainAsync(rec, train, "probe", cfg.ProbeEpochs, recordTrajectories: true, runId, token), ct, clear: ["probe"]);

        // 3. Export the probe.
        await stages.RunAsync("export-probe", ["probe/checkpoint"], ["models/probe/v1"], (_, _) =>
        {
            OnnxExporter.Export(stages.Path("probe/checkpoint"), stages.Path("models/probe/v1"), new ExportOptions { Force = true, ModelName = "probe", ModelVersion = "v1" });
            return Task.CompletedTask;
        }, ct);

        // 4. Select hard examples.
        await stages.RunAsync("select", ["probe/trajectories"], ["hardness"], async (rec, token) =>
        {
            var r = await SelectStage.RunAsync(stages.Path("probe/trajectories"), stages.Path("hardness"), SelectOptions(), overwrite: true, token);
            rec.Metrics["hard"] = r.Hard;
            rec.Metrics["examples"] = r.Total;
        }, ct);

        // 5. Sample the hard prompts only (all prompts with sample_all, the RFT-everything baseline).
        SampleSummary? sample = null;
        await stages.RunAsync("sample", [train, "hardness", "models/probe/v1"], ["candidates"], async (rec, token) =>
        {
            sample = await SampleVerb.RunWithProgressAsync(new SampleJobOptions
            {
                Model = stages.Path("models/probe/v1"), Prompts = stages.Path(train), Hardness = stages.Path("hardness"), OnlyHard = !cfg.SampleAll,
                K = cfg.K, Verifier = verifier, OutDir = stages.Path("candidates"), Resume = true, Threads = cfg.Threads ?? 0, RunId = runId,
                Sampling = new SamplingSettings { Temperature = cfg.Temperature, TopP = cfg.TopP, MaxNewTokens = cfg.MaxNewTokens, Seed = cfg.Seed },
            }, token);
            rec.Metrics["prompts"] = sample.Prompts;
            rec.Metrics["candidates"] = sample.Candidates;
            rec.Metrics["accepted"] = sample.Accepted;
            rec.Metrics["sampled_tokens"] = sample.SampledTokens;
        }, ct);

        // 6. Build the next-stage set.
        await stages.RunAsync("build", [train, "hardness", "candidates"], ["next"], async (rec, token) =>
        {
            var b = await BuildStage.RunAsync(stages.Path(train), stages.Path("hardness"), stages.Path("candidates"), stages.Path("next"),
                new BuildOptions { Policy = cfg.Policy, Fallback = cfg.Fallback, MaxPerPrompt = cfg.MaxPerPrompt, RunId = runId }, overwrite: true, token);
            rec.Metrics["examples"] = b.Examples;
            rec.Metrics["easy"] = b.Easy;
            rec.Metrics["hard"] = b.Hard;
            rec.Metrics["hard_with_accepted"] = b.HardWithAccepted;
            rec.Metrics["fallbacks"] = b.Fallbacks;
            rec.Metrics["dropped"] = b.Dropped;
            rec.Metrics["generated_rows"] = b.GeneratedRows;
            rec.Metrics["original_rows"] = b.OriginalRows;
            rec.Metrics["candidates_seen"] = b.CandidatesSeen;
            rec.Metrics["duplicates_removed"] = b.DuplicatesRemoved;
        }, ct);

        // 7. Retrain from the base on the next-stage set.
        await stages.RunAsync("retrain", ["next"], ["final/checkpoint"],
            (rec, token) => TrainAsync(rec, "next", "final", cfg.TrainEpochs, recordTrajectories: false, runId, token), ct, clear: ["final"]);

        // 8. Export the retrained model.
        await stages.RunAsync("export-final", ["final/checkpoint"], ["models/final/v1"], (_, _) =>
        {
            OnnxExporter.Export(stages.Path("final/checkpoint"), stages.Path("models/final/v1"), new ExportOptions { Force = true, ModelName = "final", ModelVersion = "v1" });
            return Task.CompletedTask;
        }, ct);

        // 9. Evaluate the probe (plain SFT) and the retrained model on the held-out split.
        foreach (var arm in new[] { "probe", "final" })
            await stages.RunAsync($"eval-{arm}", [eval, $"models/{arm}/v1"], [$"eval/{arm}"], async (rec, token) =>
            {
                var s = await EvalVerb.RunWithProgressAsync(new EvalOptions
                {
                    Model = stages.Path($"models/{arm}/v1"), Data = stages.Path(eval), Verifier = verifier, OutDir = stages.Path($"eval/{arm}"),
                    MaxNewTokens = cfg.MaxNewTokens, Seed = cfg.Seed, Threads = cfg.Threads ?? 0, Overwrite = true,
                }, token);
                rec.Metrics["greedy_pass_at_1"] = s.GreedyAccuracy;
            }, ct);

        var build = NextStageSummary(manifest);
        sample ??= SampleSummaryFromManifest(manifest);
        return new CycleResult(RunDir, manifest, EvalSummary.Load(stages.Path("eval/probe")), EvalSummary.Load(stages.Path("eval/final")), sample, build);
    }

    async Task TrainAsync(StageRecord rec, string data, string outDir, int epochs, bool recordTrajectories, string runId, CancellationToken ct)
    {
        var path = Path.Combine(RunDir, data);
        var r = await TrainVerb.RunWithProgressAsync(new TrainOptions
        {
            Examples = await TrainData.LoadAsync(path, ct), DataSource = path, OutDir = Path.Combine(RunDir, outDir), Epochs = epochs,
            Preset = cfg.Preset, InitCheckpoint = cfg.Base, Objective = ObjectiveOptions.Parse(cfg.Objective, cfg.TargetWeight),
            Resume = true, RecordTrajectories = recordTrajectories, Seed = cfg.Seed, Threads = cfg.Threads, RunId = runId,
        }, ct, OnTrainProgress is { } tap ? p => tap(outDir, p) : null);
        rec.Metrics["parameters"] = r.ParameterCount;
        rec.Metrics["steps"] = r.GlobalSteps;
        rec.Metrics["tokens_per_second"] = r.TokensPerSecond;
        rec.Metrics["final_epoch_loss"] = r.EpochMeanLosses.Count > 0 ? r.EpochMeanLosses[^1] : double.NaN;
        rec.Metrics["trajectory_share"] = r.TrajectoryShare;
    }

    SelectOptions SelectOptions() => new()
    {
        Method = cfg.SelectMethod, Feature = cfg.SelectFeature, Fraction = cfg.SelectFraction, Threshold = cfg.SelectThreshold,
        Clusters = cfg.S2lClusters, Seed = cfg.Seed,
    };

    /// <summary>Loads the run's manifest, or starts one; a run folder belongs to one config.</summary>
    RunManifest OpenManifest()
    {
        var configJson = JsonSerializer.SerializeToElement(cfg, CycleConfig.Json);
        var existing = RunManifest.TryLoad(RunDir);
        if (existing is not null)
        {
            // Record equality over the config's values: formatting of the stored JSON does not matter.
            if (existing.Config.Deserialize<CycleConfig>(CycleConfig.Json) != cfg)
                throw new InvalidDataException($"{Path.Combine(RunDir, RunManifest.FileName)}: this run folder was started with another config; " +
                                               "run with the same config to resume, or choose a new --out");
            return existing;
        }
        var m = new RunManifest { RunId = Path.GetFileName(RunDir), CreatedAt = DateTime.UtcNow, Config = configJson };
        m.Save(RunDir);
        return m;
    }

    /// <summary>The build stage's summary as recorded in the manifest (the stage may have run in an earlier process).</summary>
    static BuildSummary NextStageSummary(RunManifest m)
    {
        var b = m.Stage("build").Metrics;
        int I(string k) => (int)b.GetValueOrDefault(k);
        return new BuildSummary(I("examples"), I("easy"), I("hard"), I("hard_with_accepted"), I("fallbacks"), I("dropped"),
            I("generated_rows"), I("original_rows"), I("hard") == 0 ? 0 : (double)I("generated_rows") / I("hard"), I("candidates_seen"), I("duplicates_removed"));
    }

    static SampleSummary SampleSummaryFromManifest(RunManifest m)
    {
        var x = m.Stage("sample").Metrics;
        return new SampleSummary((int)x.GetValueOrDefault("prompts"), 0, (long)x.GetValueOrDefault("candidates"), 0,
            (long)x.GetValueOrDefault("accepted"), 0, (long)x.GetValueOrDefault("sampled_tokens"), m.Stage("sample").Seconds, "", "v1");
    }
}
