using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Cli.Cycle;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft experiment`: SFT only vs RFT-all vs RFT-hard vs S2L (vs Target-SFT, vs SPIN) on the same data, seeds and budgets.</summary>
public static class ExperimentVerb
{
    public static Command Create()
    {
        var config = Opt.Optional<string>("--config", "Cycle config (JSON) shared by every arm.");
        var task = Opt.Optional<string>("--task", "Override the config's bundled task.");
        var data = Opt.Optional<string>("--data", "A folder with train/ and eval/ SFT examples instead of a bundled task.");
        var preset = Opt.Optional<string>("--preset", "Override the config's model preset.");
        var targetSft = Opt.Flag("--target-sft", "Add a Target-SFT arm.");
        var spin = Opt.Flag("--spin", "Add a SPIN arm: SPIN stages on top of the sft arm's model (config spin_* fields; 1 stage when spin_stages is 0).");
        var outDir = Opt.With("--out", "runs/experiment", "Run folder (resumable like a cycle).");
        var seeds = Opt.Optional<string>("--seeds", "Run the experiment once per seed (e.g. 1,2,3; each in OUT/seed-N) and write a table across seeds: one seed's training noise can exceed the differences between arms.");
        var cmd = new Command("experiment", "Compare ways of building the retraining set on the same data, seeds and budgets.")
            .With(config, task, data, preset, targetSft, spin, outDir, seeds);
        cmd.SetAction(async (p, ct) =>
        {
            var cfg = CycleConfig.Load(p.GetValue(config));
            if (p.GetValue(task) is { } t) cfg = cfg with { Task = t };
            if (p.GetValue(data) is { } d) cfg = cfg with { Data = d };
            if (p.GetValue(preset) is { } pr) cfg = cfg with { Preset = pr };
            if (p.GetValue(seeds) is { } seedList)
            {
                var parsed = seedList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                        : throw new ArgumentException($"--seeds takes integers separated by commas, got '{seedList}'")).ToList();
                var multi = new MultiSeedExperiment(p.GetValue(outDir)!, cfg, parsed, p.GetValue(targetSft), p.GetValue(spin));
                var perSeed = await multi.RunAsync(ct);
                var across = new Table().Title("experiment across seeds (held-out eval split, greedy pass@1)")
                    .AddColumns(["arm", .. perSeed.Select(s => $"seed {s.Seed}"), "mean"]);
                foreach (var arm in perSeed[0].Rows.Select(r => r.Arm))
                {
                    var acc = perSeed.Select(s => s.Rows.Single(r => r.Arm == arm).GreedyPassAt1).ToList();
                    across.AddRow([arm, .. acc.Select(a => a.ToString("P1", CultureInfo.InvariantCulture)), acc.Average().ToString("P1", CultureInfo.InvariantCulture)]);
                }
                AnsiConsole.Write(across);
                AnsiConsole.MarkupLineInterpolated($"table: [bold]{Path.Combine(Path.GetFullPath(p.GetValue(outDir)!), MultiSeedExperiment.TableFile)}[/]");
                return CliHost.Ok;
            }
            var runner = new ExperimentRunner(p.GetValue(outDir)!, cfg, p.GetValue(targetSft), p.GetValue(spin));
            var rows = await runner.RunAsync(ct);
            var table = new Table().Title("experiment (held-out eval split)")
                .AddColumns("arm", "greedy pass@1", "prompts sampled", "candidates", "accepted", "sampler tokens", "training rows", "wall s");
            foreach (var r in rows)
                table.AddRow(r.Arm, r.GreedyPassAt1.ToString("P1", CultureInfo.InvariantCulture), $"{r.PromptsSampled}", $"{r.CandidatesDrawn}",
                    $"{r.Accepted}", $"{r.SamplerTokens}", $"{r.TrainingRows}", r.WallSeconds.ToString("F0", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"table: [bold]{Path.Combine(Path.GetFullPath(p.GetValue(outDir)!), ExperimentRunner.TableFile)}[/] (Parquet: {ExperimentRunner.ParquetFolder}/)");
            return CliHost.Ok;
        });
        return cmd;
    }
}
