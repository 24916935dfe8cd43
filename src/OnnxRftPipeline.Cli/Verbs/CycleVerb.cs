using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Cli.Report;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft cycle`: the product's main job — one resumable retraining cycle in a run folder.</summary>
public static class CycleVerb
{
    public static Command Create()
    {
        var config = Opt.Optional<string>("--config", "Cycle config (JSON; any subset of the fields, see README). Default: the bundled addition cycle.");
        var outDir = Opt.With("--out", "runs/default", "Run folder. Run the same command again to resume a killed run.");
        var task = Opt.Optional<string>("--task", "Override the config's bundled task.");
        var preset = Opt.Optional<string>("--preset", "Override the config's model preset (tiny | small | base).");
        var cmd = new Command("cycle", "Probe SFT → select hard → sample & verify hard prompts → build → retrain from base → eval, with a report.")
            .With(config, outDir, task, preset);
        cmd.SetAction(async (p, ct) =>
        {
            var cfg = CycleConfig.Load(p.GetValue(config));
            if (p.GetValue(task) is { } t) cfg = cfg with { Task = t };
            if (p.GetValue(preset) is { } pr) cfg = cfg with { Preset = pr };
            var runner = new CycleRunner(p.GetValue(outDir)!, cfg);
            AnsiConsole.MarkupLineInterpolated($"[bold]rft cycle[/] → {runner.RunDir}");
            var r = await runner.RunAsync(ct);
            await SummariseAsync(r, ct);
            return CliHost.Ok;
        });
        return cmd;
    }

    static async Task SummariseAsync(CycleResult r, CancellationToken ct)
    {
        var stages = new Table().Title("stages").AddColumns("stage", "status", "seconds", "attempts");
        foreach (var s in r.Manifest.Stages)
            stages.AddRow(s.Name, s.Status, s.Seconds.ToString("F1", CultureInfo.InvariantCulture), s.Attempts.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(stages);
        var t = new Table().Title("cycle result (held-out eval split)")
            .AddColumns("model", "greedy pass@1", "fixed / broken vs probe", "candidates drawn", "sampler tokens");
        t.AddRow("probe SFT on demonstrations", r.ProbeEval.GreedyAccuracy.ToString("P1", CultureInfo.InvariantCulture), "—", "0", "0");
        t.AddRow("retrained on easy originals + accepted samples of hard prompts", r.FinalEval.GreedyAccuracy.ToString("P1", CultureInfo.InvariantCulture),
            Markup.Escape(ReportFormat.Paired(await CycleReport.PairedAsync(r.RunDir, "probe", "final", ct))),
            r.Sample.Candidates.ToString(CultureInfo.InvariantCulture), r.Sample.SampledTokens.ToString(CultureInfo.InvariantCulture));
        if (r.Spin is { } spin)
            t.AddRow($"+ SPIN stages on the retrained model (pairs trained: {spin.TrainingRows})", spin.Eval.GreedyAccuracy.ToString("P1", CultureInfo.InvariantCulture),
                Markup.Escape(ReportFormat.Paired(await CycleReport.PairedAsync(r.RunDir, "probe", "spin", ct))),
                (spin.Sample?.Candidates ?? 0).ToString(CultureInfo.InvariantCulture), (spin.Sample?.SampledTokens ?? 0).ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(t);
        BuildVerb.Render(r.Build);
        AnsiConsole.MarkupLineInterpolated($"report: [bold]{Path.Combine(r.RunDir, Report.ReportWriter.ReportFile)}[/]");
    }
}
