using System.Text.Json;
using OnnxRftPipeline.Cli.Report;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>Fills the run report from a finished cycle's files and manifest.</summary>
public static class CycleReport
{
    /// <summary>The model evaluated into eval/<paramref name="eval"/> against the one in eval/<paramref name="baseline"/>, prompt by prompt.</summary>
    public static async Task<PairedComparison> PairedAsync(string runDir, string baseline, string eval, CancellationToken ct)
    {
        Task<List<EvalResultRow>> Results(string name) => PartFiles.ReadAllAsync<EvalResultRow>(Path.Combine(runDir, "eval", name, "results"), ct);
        return PairedComparison.Compare(await Results(baseline), await Results(eval), $"eval/{baseline}", $"eval/{eval}");
    }

    /// <summary>The stages of a run manifest, in manifest order (the report knows stages, not manifests).</summary>
    public static List<StageTiming> StageTimings(RunManifest m) =>
        m.Stages.Select(s => new StageTiming(s.Name, s.Seconds, s.Status)).ToList();

    public static async Task<ReportData> CollectAsync(CycleResult r, CycleConfig cfg, CancellationToken ct)
    {
        var hardness = await PartFiles.ReadAllAsync<HardnessRow>(Path.Combine(r.RunDir, "hardness"), ct);
        var isHard = hardness.ToDictionary(h => h.ExampleId, h => h.IsHard, StringComparer.Ordinal);
        var features = TrajectoryFeatures.Compute(await PartFiles.ReadAllAsync<TrajectoryRow>(Path.Combine(r.RunDir, "probe", "trajectories"), ct));
        // Methods that cut a score have a threshold: the lowest score still selected.
        double? threshold = cfg.SelectMethod is "quantile" or "loss-threshold" && hardness.Any(h => h.IsHard)
            ? (cfg.SelectMethod == "loss-threshold" ? cfg.SelectThreshold : hardness.Where(h => h.IsHard).Min(h => h.Score))
            : null;
        return new ReportData
        {
            RunId = r.Manifest.RunId,
            RunFolder = r.RunDir,
            ConfigJson = JsonSerializer.Serialize(cfg, CycleConfig.Json),
            TaskName = cfg.Data is null ? cfg.Task : cfg.Data,
            // The report is written by the stage named "report", which is still running then: it describes the stages before it.
            Stages = StageTimings(r.Manifest).Where(s => s.Name != "report").ToList(),
            Trajectories = features.Select(f => new LossTrajectory(f.ExampleId, f.Losses, isHard.GetValueOrDefault(f.ExampleId))).ToList(),
            Hardness = new HardnessSummary
            {
                Method = cfg.SelectMethod,
                Threshold = threshold,
                Scores = hardness.Select(h => new HardnessScore(h.ExampleId, h.Score, h.IsHard)).ToList(),
                Noise = NoiseRecovery.Measure(await PartFiles.ReadAllAsync<SftExample>(Path.Combine(r.RunDir, "data", "train"), ct), hardness),
            },
            Arms =
            [
                new ArmResult($"probe SFT ({cfg.ProbeEpochs} epochs on demonstrations)", r.ProbeEval.GreedyAccuracy, null, 0, 0,
                    r.Manifest.Stages.Where(s => s.Name is "probe" or "export-probe" or "eval-probe").Sum(s => s.Seconds)),
                new ArmResult($"retrained ({cfg.TrainEpochs} epochs): easy originals + accepted samples of hard prompts", r.FinalEval.GreedyAccuracy, null,
                    r.Sample.Candidates, r.Sample.SampledTokens,
                    r.Manifest.Stages.Where(s => s.Name is "select" or "sample" or "build" or "retrain" or "export-final" or "eval-final").Sum(s => s.Seconds),
                    VsBaseline: await PairedAsync(r.RunDir, "probe", "final", ct)),
                .. r.Spin is { } spin
                    ? [new ArmResult($"+ {cfg.SpinStages} SPIN stage(s) on the retrained model (β = {cfg.SpinBeta}, {cfg.SpinEpochs} epochs each, K = {cfg.SpinK})",
                        spin.Eval.GreedyAccuracy, null, spin.Sample?.Candidates ?? 0, spin.Sample?.SampledTokens ?? 0, spin.Seconds,
                        VsBaseline: await PairedAsync(r.RunDir, "probe", "spin", ct))]
                    : Array.Empty<ArmResult>(),
            ],
            Build = r.Build,
        };
    }
}
