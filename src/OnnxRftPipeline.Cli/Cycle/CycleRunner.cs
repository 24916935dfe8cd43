using System.Text.Json;
using ReportWriter = OnnxRftPipeline.Cli.Report.ReportWriter;
using OnnxRftPipeline.Cli.Stages;
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
public sealed record CycleResult(string RunDir, RunManifest Manifest, EvalSummary ProbeEval, EvalSummary FinalEval, SampleSummary Sample, BuildSummary Build,
    CycleRunner.ArmResult? Spin = null);

/// <summary>
/// One retraining cycle in a run folder: data → probe SFT with trajectories → export → select → sample hard
/// prompts → build → retrain from the base → export → eval. Each stage writes its outputs atomically and is
/// recorded in manifest.json, so running the same command again resumes at the first unfinished stage;
/// training and sampling also resume inside the stage from their last saved state. With spin_stages &gt; 0, SPIN
/// stages (sample → pairs → contrastive train → export, per stage) refine the retrained model before the report.
/// With a service configured the hard prompts are sampled by that `rft serve` (CycleRunner.Service.cs).
/// </summary>
public sealed partial class CycleRunner(string runDir, CycleConfig cfg)
{
    /// <summary>Called as each stage starts (tests use it to simulate a kill at a chosen point).</summary>
    public Action<string>? OnStageStarting { get; init; }

    /// <summary>Sees every training progress report of a stage, synchronously (tests use it to kill mid-training).</summary>
    public Action<string, TrainProgress>? OnTrainProgress { get; init; }

    public string RunDir { get; } = Path.GetFullPath(runDir);

    public async Task<CycleResult> RunAsync(CancellationToken ct)
    {
        if (cfg.SpinStages != 0) CheckSpinConfig();
        CheckServiceConfig();
        var stages = Open();
        var shared = await SharedStagesAsync(stages, ct);
        var arm = await ArmAsync(stages, shared, MainArm, ct);
        await EvalAsync(stages, shared, "eval-probe", "models/probe/v1", "eval/probe", ct);
        var spin = cfg.SpinStages > 0 ? await SpinAsync(stages, shared, "final", "spin", cfg.SpinStages, ct) : null;
        var result = new CycleResult(RunDir, stages.Manifest, EvalSummary.Load(stages.Path("eval/probe")), arm.Eval, arm.Sample!, arm.Build!, spin);
        string[] reportInputs = ["probe/trajectories", "hardness", "eval/probe", "eval/final", .. spin is null ? Array.Empty<string>() : ["eval/spin"]];
        await stages.RunAsync("report", reportInputs, [ReportWriter.ReportFile],
            async (_, token) => ReportWriter.Write(RunDir, await CycleReport.CollectAsync(result, cfg, token)), ct);
        return result;
    }

    /// <summary>The cycle's own arm: the configured selection, stage and folder names without an arm prefix.</summary>
    ArmSpec MainArm => new("", SelectOptions(), cfg.Objective);

    /// <summary>What the arms of a run share: the data, the probe and its export.</summary>
    public sealed record Shared(string Train, string Eval, string Verifier, string RunId, int TrainRows);

    /// <summary>One way of building the retraining set. Select null means plain SFT on the demonstrations.</summary>
    public sealed record ArmSpec(string Name, SelectOptions? Select, string Objective, string? TargetWeight = null);

    public sealed record ArmResult(string Name, EvalSummary Eval, SampleSummary? Sample, BuildSummary? Build, double Seconds, int TrainingRows);

    internal StageRunner Open()
    {
        if (cfg.StageRetries < 0) throw new ArgumentException($"stage_retries must be >= 0, got {cfg.StageRetries}");
        if (cfg.LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr))) throw new ArgumentException($"learning_rate must be a positive number, got {lr}");
        if (cfg.BatchSize is < 1) throw new ArgumentException($"batch_size must be >= 1, got {cfg.BatchSize}");
        _ = PromptTemplateOrNull();
        ExportSettings("check");   // parses export_ops and export_quantize: a bad value fails here, before any stage
        var manifest = OpenManifest();
        return new StageRunner(RunDir, manifest, cfg.StageRetries) { OnStageStarting = OnStageStarting };
    }

    internal async Task<Shared> SharedStagesAsync(StageRunner stages, CancellationToken ct)
    {
        var runId = stages.Manifest.RunId;
        string train = "data/train", eval = "data/eval";
        int trainRows;
        if (cfg.Data is null)
        {
            var s = await stages.RunAsync("data", [], [train, eval], token => SynthRunner.RunAsync(new SynthRequest(cfg.Task, cfg.N, cfg.EvalN, cfg.Seed,
                SynthOptions.FromCli(cfg.Noise, cfg.Difficulty), stages.Path("data"), Overwrite: true), token), ct);
            trainRows = s.TrainRows;
        }
        else
        {
            train = Path.GetFullPath(Path.Combine(cfg.Data, "train"));
            eval = Path.GetFullPath(Path.Combine(cfg.Data, "eval"));
            trainRows = (await PartFiles.ReadAllAsync<SftExample>(train, ct)).Count;
        }
        var verifier = cfg.Verifier ?? BundledTasks.Get(cfg.Task).DefaultVerifier;

        await stages.RunAsync("probe", [train], ["probe/checkpoint", "probe/trajectories"],
            token => TrainAsync(train, "probe", cfg.ProbeEpochs, recordTrajectories: true, cfg.Objective, cfg.TargetWeight, runId, token),
            ct, clear: ["probe"]);
        await ExportAsync(stages, "export-probe", "probe/checkpoint", "models/probe/v1", "probe", ct);
        return new Shared(train, eval, verifier, runId, trainRows);
    }

    /// <summary>select → sample → build → retrain from the base → export → eval, for one arm.</summary>
    internal async Task<ArmResult> ArmAsync(StageRunner stages, Shared shared, ArmSpec arm, CancellationToken ct)
    {
        // The main arm keeps the short names; experiment arms live under arms/NAME with suffixed stage names.
        string Dir(string d) => arm.Name == "" ? d : $"arms/{arm.Name}/{d}";
        string Stage(string s) => arm.Name == "" ? s : $"{s}-{arm.Name}";
        string final = arm.Name == "" ? "final" : arm.Name;

        SampleSummary? sample = null;
        BuildSummary? build = null;
        string trainOn = shared.Train;
        if (arm.Select is { } select)
        {
            await stages.RunAsync(Stage("select"), ["probe/trajectories"], [Dir("hardness")], async token =>
                (await SelectStage.RunAsync(stages.Path("probe/trajectories"), stages.Path(Dir("hardness")), select, overwrite: true, token)).Counts, ct);

            sample = await stages.RunAsync(Stage("sample"), [shared.Train, Dir("hardness"), "models/probe/v1"], [Dir("candidates")], async token =>
            {
                var options = new SampleJobOptions
                {
                    Model = stages.Path("models/probe/v1"), Prompts = stages.Path(shared.Train), Hardness = stages.Path(Dir("hardness")), OnlyHard = true,
                    K = cfg.K, Verifier = shared.Verifier, OutDir = stages.Path(Dir("candidates")), Resume = true, Threads = cfg.Threads ?? 0, RunId = shared.RunId,
                    Sampling = new SamplingSettings { Temperature = cfg.Temperature, TopP = cfg.TopP, MaxNewTokens = cfg.MaxNewTokens, Seed = cfg.Seed },
                };
                // With a service configured the same job runs there, on this run's probe (published to the service first).
                var s = cfg.Service is null ? await SampleStage.RunAsync(options, token) : await SampleViaServiceAsync(stages, options, token);
                // Counted from the candidate files: a resumed stage's own summary covers only the prompts of its last attempt.
                return await SampleStage.CountAsync(options.OutDir, s.PromptsResumed, s.Seconds, s.ModelVersion, token);
            }, ct);

            build = await stages.RunAsync(Stage("build"), [shared.Train, Dir("hardness"), Dir("candidates")], [Dir("next")], token =>
                BuildStage.RunAsync(stages.Path(shared.Train), stages.Path(Dir("hardness")), stages.Path(Dir("candidates")), stages.Path(Dir("next")),
                    new BuildOptions { Policy = cfg.Policy, Fallback = cfg.Fallback, MaxPerPrompt = cfg.MaxPerPrompt, RunId = shared.RunId }, overwrite: true, token), ct);
            trainOn = Dir("next");
        }

        await stages.RunAsync(Stage("retrain"), [trainOn], [$"{final}/checkpoint"],
            token => TrainAsync(trainOn, final, cfg.TrainEpochs, recordTrajectories: false, arm.Objective, arm.TargetWeight, shared.RunId, token),
            ct, clear: [final]);
        await ExportAsync(stages, Stage("export-final"), $"{final}/checkpoint", $"models/{final}/v1", final, ct);
        var eval = await EvalAsync(stages, shared, arm.Name == "" ? "eval-final" : $"eval-{arm.Name}", $"models/{final}/v1", $"eval/{final}", ct);
        // Wall time of this arm's own stages (the shared data and probe stages are reported separately).
        string[] own = ["select", "sample", "build", "retrain", "export-final"];
        var seconds = own.Select(Stage).Append(arm.Name == "" ? "eval-final" : $"eval-{arm.Name}")
            .Sum(n => stages.Manifest.Stages.FirstOrDefault(x => x.Name == n)?.Seconds ?? 0);
        return new ArmResult(arm.Name, eval, sample, build, seconds, build is { } b ? b.GeneratedRows + b.OriginalRows : shared.TrainRows);
    }

    Task ExportAsync(StageRunner stages, string stage, string checkpoint, string model, string name, CancellationToken ct) =>
        stages.RunAsync(stage, [checkpoint], [model], (_, _) =>
        {
            ExportStage.Run(stages.Path(checkpoint), stages.Path(model), ExportSettings(name));
            return Task.CompletedTask;
        }, ct);

    /// <summary>The export_ops / export_quantize settings for a model named <paramref name="name"/>; a bad value throws naming its field.</summary>
    ExportOptions ExportSettings(string name) => new()
    {
        Force = true, ModelName = name, ModelVersion = "v1",
        Ops = OnnxExporter.ParseGraphOps(cfg.ExportOps, "export_ops"), Quantize = WeightQuantizationNames.Parse(cfg.ExportQuantize, "export_quantize"),
    };

    async Task<EvalSummary> EvalAsync(StageRunner stages, Shared shared, string stage, string model, string outDir, CancellationToken ct)
    {
        return await stages.RunAsync(stage, [shared.Eval, model], [outDir], token => EvalStage.RunAsync(new EvalOptions
        {
            Model = stages.Path(model), Data = stages.Path(shared.Eval), Verifier = shared.Verifier, OutDir = stages.Path(outDir),
            MaxNewTokens = cfg.MaxNewTokens, Seed = cfg.Seed, Threads = cfg.Threads ?? 0, Overwrite = true,
        }, token), ct);
    }

    async Task<TrainResult> TrainAsync(string data, string outDir, int epochs, bool recordTrajectories, string objective, string? targetWeight,
        string runId, CancellationToken ct)
    {
        var path = Path.Combine(RunDir, data);
        return await TrainStage.RunAsync(new TrainOptions
        {
            Examples = await TrainData.LoadAsync(path, ct), DataSource = path, OutDir = Path.Combine(RunDir, outDir), Epochs = epochs,
            Preset = cfg.Preset, InitCheckpoint = cfg.Base, Objective = ObjectiveOptions.Parse(objective, targetWeight),
            Resume = true, RecordTrajectories = recordTrajectories, Seed = cfg.Seed, Threads = cfg.Threads, RunId = runId,
            LearningRate = cfg.LearningRate, BatchSize = cfg.BatchSize, PromptTemplate = PromptTemplateOrNull(),
        }, ct, OnTrainProgress is { } tap ? p => tap(outDir, p) : null);
    }

    OnnxRftPipeline.Contracts.Text.PromptTemplate? PromptTemplateOrNull() =>
        cfg.PromptTemplate is { } t ? OnnxRftPipeline.Contracts.Text.PromptTemplate.Parse(t, "prompt_template") : null;

    /// <summary>The configured selection; sample_all makes every prompt hard (the RFT-everything baseline).</summary>
    internal SelectOptions SelectOptions() => cfg.SampleAll ? new() { Method = "quantile", Fraction = 1.0, Seed = cfg.Seed } : new()
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
}
