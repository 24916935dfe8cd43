using System.Text.Json;
using ReportWriter = OnnxRftPipeline.Cli.Report.ReportWriter;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Tasks.Synth;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>What a finished cycle produced, for the console summary and the report.</summary>
public sealed record CycleResult(string RunDir, RunManifest Manifest, EvalSummary ProbeEval, EvalSummary FinalEval, SampleSummary Sample, BuildSummary Build,
    CycleRunner.ArmOutcome? Spin = null);

/// <summary>
/// One retraining cycle in a run folder: data → probe SFT with trajectories → export → select → sample hard
/// prompts → build → retrain from the base → export → eval. Each stage writes its outputs atomically and is
/// recorded in manifest.json, so running the same command again resumes at the first unfinished stage;
/// training and sampling also resume inside the stage from their last saved state. With spin_stages &gt; 0, SPIN
/// stages (sample → pairs → contrastive train → export, per stage) refine the retrained model before the report.
/// The stages themselves are in ../Stages; SPIN stages are SpinStages.cs, sampling through a configured `rft serve` ServiceSampling.cs,
/// the config checks CycleConfig.Validate.
/// </summary>
public sealed class CycleRunner(string runDir, CycleConfig cfg)
{
    /// <summary>Called as each stage starts (tests use it to simulate a kill at a chosen point).</summary>
    public Action<string>? OnStageStarting { get; init; }

    /// <summary>Sees every training progress report of a stage, synchronously (tests use it to kill mid-training).</summary>
    public Action<string, TrainProgress>? OnTrainProgress { get; init; }

    public string RunDir { get; } = Path.GetFullPath(runDir);

    /// <summary>How long a configured service may take to report the published probe (it polls its folder every few seconds).</summary>
    public TimeSpan ServiceWait { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<CycleResult> RunAsync(CancellationToken ct)
    {
        using var stages = Open(spin: cfg.SpinStages != 0);
        var shared = await SharedStagesAsync(stages, ct);
        var arm = await ArmAsync(stages, shared, MainArm, ct);
        var probeEval = await EvalAsync(stages, shared, "eval-probe", "models/probe/v1", "eval/probe", ct);
        var spin = cfg.SpinStages > 0 ? await SpinAsync(stages, shared, "final", "spin", cfg.SpinStages, ct) : null;
        var result = new CycleResult(RunDir, stages.Manifest, probeEval, arm.Eval, arm.Sample!, arm.Build!, spin);
        string[] reportInputs = ["probe/trajectories", "hardness", "eval/probe", "eval/final", .. spin is null ? Array.Empty<string>() : ["eval/spin"]];
        await stages.RunAsync("report", reportInputs, [ReportWriter.ReportFile],
            async (_, token) => ReportWriter.Write(RunDir, await CycleReport.CollectAsync(result, cfg, token)), ct);
        return result;
    }

    /// <summary>The cycle's own arm: the configured selection, stage and folder names without an arm prefix.</summary>
    ArmSpec MainArm => new("", cfg.SelectOptions(), cfg.Objective);

    /// <summary>What the arms of a run share: the data, the probe and its export.</summary>
    public sealed record Shared(string Train, string Eval, string Verifier, string RunId, int TrainRows, int EvalRows);

    /// <summary>One way of building the retraining set. Select null means plain SFT on the demonstrations.</summary>
    public sealed record ArmSpec(string Name, SelectOptions? Select, string Objective, string? TargetWeight = null);

    /// <summary>What one arm produced (its eval, samples, build, cost); the report shows it as a Report.ArmResult row.</summary>
    public sealed record ArmOutcome(string Name, EvalSummary Eval, SampleSummary? Sample, BuildSummary? Build, double Seconds, int TrainingRows);

    /// <summary>
    /// Checks the whole config (SPIN's fields too when <paramref name="spin"/>) before any stage runs, then takes the run folder's
    /// one-writer lock (a second `rft cycle` on it is refused, naming this process) and opens its manifest. The caller disposes the
    /// returned runner to release the lock.
    /// </summary>
    internal StageRunner Open(bool spin = false)
    {
        if (spin) SpinStages.Check(cfg);
        ServiceSampling.Check(cfg);
        cfg.Validate();
        var held = RunFolderLock.Acquire(RunDir);
        try
        {
            var manifest = RunManifest.Open(RunDir, cfg);
            return new StageRunner(RunDir, manifest, cfg.StageRetries) { OnStageStarting = OnStageStarting, Lock = held };
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    internal async Task<Shared> SharedStagesAsync(StageRunner stages, CancellationToken ct)
    {
        var runId = stages.Manifest.RunId;
        string train = "data/train", eval = "data/eval";
        int trainRows, evalRows;
        if (cfg.Data is null)
        {
            var s = await stages.RunAsync("data", [], [train, eval], token => SynthRunner.RunAsync(new SynthRequest(cfg.Task, cfg.N, cfg.EvalN, cfg.Seed,
                SynthOptions.FromCli(cfg.Noise, cfg.Difficulty), stages.Path("data"), Overwrite: true), token), ct);
            (trainRows, evalRows) = (s.TrainRows, s.EvalRows);
        }
        else
        {
            train = Path.GetFullPath(Path.Combine(cfg.Data, "train"));
            eval = Path.GetFullPath(Path.Combine(cfg.Data, "eval"));
            trainRows = (await PartFiles.ReadAllAsync<SftExample>(train, ct)).Count;
            evalRows = (await PartFiles.ReadAllAsync<SftExample>(eval, ct)).Count;
        }
        var verifier = cfg.Verifier ?? BundledTasks.Get(cfg.Task).DefaultVerifier;

        await stages.RunAsync("probe", [train], ["probe/checkpoint", "probe/trajectories"],
            token => TrainAsync(train, "probe", cfg.ProbeEpochs, recordTrajectories: true, cfg.Objective, cfg.TargetWeight, runId, token),
            ct, clear: ["probe"]);
        await ExportAsync(stages, "export-probe", "probe/checkpoint", "models/probe/v1", "probe", ct);
        return new Shared(train, eval, verifier, runId, trainRows, evalRows);
    }

    /// <summary>select → sample → build → retrain from the base → export → eval, for one arm.</summary>
    internal async Task<ArmOutcome> ArmAsync(StageRunner stages, Shared shared, ArmSpec arm, CancellationToken ct)
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
                    K = cfg.K, Verifier = shared.Verifier, OutDir = stages.Path(Dir("candidates")), Resume = true, Threads = cfg.Threads ?? 0, RunId = shared.RunId, Engine = cfg.EngineKind, Device = cfg.ComputeDevice,
                    Sampling = cfg.SamplingWith(cfg.Seed),
                };
                // With a service configured the same job runs there, on this run's probe (published to the service first).
                var s = cfg.Service is null ? await SampleStage.RunAsync(options, token)
                    : await new ServiceSampling(cfg, ServiceWait).SampleAsync(stages, options, token);
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
        return new ArmOutcome(arm.Name, eval, sample, build, seconds, build is { } b ? b.GeneratedRows + b.OriginalRows : shared.TrainRows);
    }

    /// <summary>SPIN stages refining the model trained into <paramref name="from"/> (SpinStages.cs).</summary>
    internal Task<ArmOutcome> SpinAsync(StageRunner stages, Shared shared, string from, string root, int count, CancellationToken ct) =>
        new SpinStages(this, cfg).RunAsync(stages, shared, from, root, count, ct);

    internal Task ExportAsync(StageRunner stages, string stage, string checkpoint, string model, string name, CancellationToken ct) =>
        stages.RunAsync(stage, [checkpoint], [model], (_, _) =>
        {
            ExportStage.Run(stages.Path(checkpoint), stages.Path(model), cfg.ExportSettings(name));
            return Task.CompletedTask;
        }, ct);


    internal async Task<EvalSummary> EvalAsync(StageRunner stages, Shared shared, string stage, string model, string outDir, CancellationToken ct)
    {
        return await stages.RunAsync(stage, [shared.Eval, model], [outDir], token => EvalStage.RunAsync(new EvalOptions
        {
            Model = stages.Path(model), Data = stages.Path(shared.Eval), Verifier = shared.Verifier, OutDir = stages.Path(outDir),
            MaxNewTokens = cfg.MaxNewTokens, Seed = cfg.Seed, Threads = cfg.Threads ?? 0, Overwrite = true,
            Engine = cfg.EngineKind, Device = cfg.ComputeDevice,
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
            LearningRate = cfg.LearningRate, BatchSize = cfg.BatchSize, PromptTemplate = cfg.PromptTemplateOrNull(),
        }, ct, OnTrainProgress is { } tap ? p => tap(outDir, p) : null);
    }



}
