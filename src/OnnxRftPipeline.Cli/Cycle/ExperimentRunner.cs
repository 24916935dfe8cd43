using System.Globalization;
using System.Text;
using OnnxRftPipeline.Cli.Report;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>
/// `rft experiment`: one data set, one probe, one seed and one sampling budget per prompt, and several ways of
/// building the retraining set side by side — SFT only, RFT on every prompt, RFT on hard prompts only (this
/// product's method), S2L-selected prompts with the same budget, and optionally the Target-SFT objective and
/// SPIN stages on top of the SFT arm's model.
/// Every arm retrains from the same base for the same epochs and is evaluated on the same held-out split.
/// </summary>
public sealed class ExperimentRunner(string runDir, CycleConfig cfg, bool includeTargetSft, bool includeSpin = false)
{
    public const string TableFile = "experiment.md";
    public const string ParquetFolder = "experiment";

    public Action<string>? OnStageStarting { get; init; }

    const string SpinArm = "spin";
    /// <summary>The config's spin_stages, or one stage when the config leaves SPIN off.</summary>
    int SpinStages => Math.Max(1, cfg.SpinStages);

    public IReadOnlyList<(CycleRunner.ArmSpec Spec, string Description)> Arms()
    {
        var hard = cfg.SelectOptions();
        var arms = new List<(CycleRunner.ArmSpec, string)>
        {
            (new("sft", null, "ce"), "SFT on the demonstrations only (no sampling)"),
            (new("rft-all", new SelectOptions { Method = "quantile", Fraction = 1.0, Seed = cfg.Seed }, cfg.Objective),
                "RFT: sample every prompt, replace with accepted candidates"),
            (new("rft-hard", hard, cfg.Objective), $"RFT on hard prompts only ({hard.Method}, {Describe(hard)})"),
            (new("s2l", new SelectOptions { Method = "s2l", Fraction = cfg.SelectFraction, Clusters = cfg.S2lClusters, Seed = cfg.Seed }, cfg.Objective),
                $"RFT on S2L-selected prompts (same budget: {cfg.SelectFraction:P0} of prompts, {cfg.S2lClusters} clusters)"),
        };
        if (includeTargetSft)
            arms.Add((new("target-sft", null, "target-sft", cfg.TargetWeight), $"Target-SFT objective on the demonstrations (w = {cfg.TargetWeight ?? ObjectiveOptions.DefaultTargetWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)})"));
        if (includeSpin)
            arms.Add((new(SpinArm, null, "spin"), string.Create(CultureInfo.InvariantCulture,
                $"sft arm's model + {SpinStages} SPIN stage(s): every prompt sampled K = {cfg.SpinK} per stage, chosen {cfg.SpinChosen}, rejected {cfg.SpinRejected}, β = {cfg.SpinBeta}, {cfg.SpinEpochs} epochs each (wall s excludes the sft arm)")));
        return arms;
    }

    public async Task<IReadOnlyList<ExperimentArmRow>> RunAsync(CancellationToken ct)
    {
        var cycle = new CycleRunner(runDir, cfg) { OnStageStarting = OnStageStarting };
        using var stages = cycle.Open(spin: includeSpin);
        var shared = await cycle.SharedStagesAsync(stages, ct);
        var rows = new List<ExperimentArmRow>();
        foreach (var (spec, description) in Arms())
        {
            // The spin arm continues from the sft arm's model (run first), so it shows what SPIN adds to plain SFT.
            var r = spec.Name == SpinArm
                ? await cycle.SpinAsync(stages, shared, "sft", $"arms/{SpinArm}", SpinStages, ct)
                : await cycle.ArmAsync(stages, shared, spec, ct);
            rows.Add(new ExperimentArmRow
            {
                Arm = spec.Name, Description = description, GreedyPassAt1 = r.Eval.GreedyAccuracy,
                PromptsSampled = r.Sample?.Prompts ?? 0, CandidatesDrawn = r.Sample?.Candidates ?? 0, Accepted = r.Sample?.Accepted ?? 0,
                SamplerTokens = r.Sample?.SampledTokens ?? 0,
                TrainingRows = r.TrainingRows,
                WallSeconds = r.Seconds,
            });
        }
        var probeSeconds = stages.Manifest.Stages.Where(s => s.Name is "data" or "probe" or "export-probe").Sum(s => s.Seconds);
        await WriteAsync(cycle.RunDir, rows, probeSeconds, shared, ct);
        return rows;
    }

    async Task WriteAsync(string dir, List<ExperimentArmRow> rows, double sharedSeconds, CycleRunner.Shared shared, CancellationToken ct)
    {
        var runId = shared.RunId;
        var lineage = new Lineage { RunId = runId, Producer = "rft experiment", Seed = cfg.Seed }.WithSettings(cfg).ToMetadata();
        await StagedFolder.WriteAsync(Path.Combine(dir, ParquetFolder), d => PartFiles.WritePartAsync(d, 0, rows, lineage, ct), overwrite: true, ct);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# Experiment").AppendLine();
        // The data the run actually read: a bundled task's synthesis, or the --data folder (whose size the config's n/eval_n do not describe).
        md.AppendLine(cfg.Data is null
                ? string.Create(inv, $"Task `{cfg.Task}`, {shared.TrainRows} training / {shared.EvalRows} eval examples, demonstration noise {cfg.Noise:P0}, seed {cfg.Seed}, preset `{cfg.Preset}`; ")
                : string.Create(inv, $"Data `{cfg.Data}`, {shared.TrainRows} training / {shared.EvalRows} eval examples, seed {cfg.Seed}, preset `{cfg.Preset}`; "))
          .AppendLine(inv, $"probe {cfg.ProbeEpochs} epochs (shared, {sharedSeconds:F0} s with data), every arm retrains {cfg.TrainEpochs} epochs from the same base; K = {cfg.K}, T = {cfg.Temperature}, top-p {cfg.TopP}.")
          .AppendLine();
        // Every arm against the first (plain SFT), prompt by prompt: each arm's greedy results are in eval/ARM.
        var first = rows[0].Arm;
        md.AppendLine(inv, $"| arm | greedy pass@1 | fixed / broken vs {first} | prompts sampled | candidates drawn | accepted | sampler tokens | training rows | wall s | trains on |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
        {
            var paired = r.Arm == first ? "—" : ReportFormat.Paired(await CycleReport.PairedAsync(dir, first, r.Arm, ct));
            md.AppendLine(inv, $"| {r.Arm} | {r.GreedyPassAt1:P1} | {paired} | {r.PromptsSampled} | {r.CandidatesDrawn} | {r.Accepted} | {r.SamplerTokens} | {r.TrainingRows} | {r.WallSeconds:F0} | {r.Description} |");
        }
        md.AppendLine().AppendLine(inv, $"Fixed / broken: eval prompts the arm answers right and {first} wrong, and the reverse, with the exact sign test's p (McNemar).");
        var all = rows.FirstOrDefault(r => r.Arm == "rft-all");
        var hard = rows.FirstOrDefault(r => r.Arm == "rft-hard");
        if (all is not null && hard is not null && all.CandidatesDrawn > 0)
            md.AppendLine().AppendLine(inv,
                $"RFT-hard drew {(double)hard.CandidatesDrawn / all.CandidatesDrawn:P0} of RFT-all's candidates and reached {hard.GreedyPassAt1:P1} against {all.GreedyPassAt1:P1}.");
        var path = Path.Combine(dir, TableFile);
        await File.WriteAllTextAsync(path + ".tmp", md.ToString(), ct);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static string Describe(SelectOptions o) => o.Method switch
    {
        "quantile" => string.Create(CultureInfo.InvariantCulture, $"hardest {o.Fraction:P0} by {o.Feature}"),
        "loss-threshold" => string.Create(CultureInfo.InvariantCulture, $"final loss > {o.Threshold}"),
        "cartography" => $"regions {string.Join("+", o.Regions)}",
        _ => o.Method,
    };
}
