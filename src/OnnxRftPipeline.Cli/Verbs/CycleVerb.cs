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
            await SummariseAsync(r, cfg, ct);
            return CliHost.Ok;
        });
        return cmd;
    }

    /// <summary>Stage timings, then report.md's arms and build tables (ReportConsole: same numbers and formats as the report).</summary>
    static async Task SummariseAsync(CycleResult r, CycleConfig cfg, CancellationToken ct)
    {
        var stages = new Table().Title("stages").AddColumns("stage", "status", "seconds", "attempts");
        foreach (var s in r.Manifest.Stages)
            stages.AddRow(s.Name, s.Status, s.Seconds.ToString("F1", CultureInfo.InvariantCulture), s.Attempts.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(stages);
        ReportConsole.Render(await CycleReport.CollectAsync(r, cfg, ct));
        AnsiConsole.MarkupLineInterpolated($"report: [bold]{Path.Combine(r.RunDir, ReportWriter.ReportFile)}[/]");
    }
}
