using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;
using Spectre.Console;

using OnnxRftPipeline.Cli.Stages;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft select`: loss trajectories → hardness (is_hard, score, cluster, reason) per example.</summary>
public static class SelectVerb
{
    public static Command Create()
    {
        var d = new SelectOptions();
        var trajectories = Opt.Required<string>("--trajectories", "Trajectories dataset (folder of part files, or one file).");
        var outDir = Opt.Required<string>("--out", "Output folder for the hardness dataset.");
        var method = Opt.With("--method", d.Method, "loss-threshold | quantile | cartography | s2l.");
        method.AcceptOnlyFromAmong(HardnessSelector.Methods);
        var threshold = Opt.With("--threshold", d.Threshold, "loss-threshold: final loss above which an example is hard.");
        var fraction = Opt.With("--fraction", d.Fraction, "quantile: hardest fraction; s2l: budget fraction when --budget is not given.");
        var feature = Opt.With("--feature", d.Feature, "quantile: final_loss | loss_auc | relative_drop | confidence | variability.");
        var confQ = Opt.With("--confidence-quantile", d.ConfidenceQuantile, "cartography: confidence at or below this quantile is low.");
        var varQ = Opt.With("--variability-quantile", d.VariabilityQuantile, "cartography: variability at or above this quantile is high (ambiguous).");
        var regions = Opt.With("--regions", string.Join(",", d.Regions), "cartography: comma-separated regions that count as hard (hard-to-learn, ambiguous, easy-to-learn).");
        var clusters = Opt.With("--clusters", d.Clusters, "s2l: number of k-means clusters.");
        var budget = Opt.Optional<int?>("--budget", "s2l: number of examples to select.");
        var seed = Opt.With("--seed", d.Seed, "s2l: seed for k-means++ and in-cluster sampling.");
        var overwrite = Opt.Flag("--overwrite", "Replace an existing output folder.");

        var cmd = new Command("select", "Score every example's hardness from its loss trajectory and mark the hard ones.")
            .With(trajectories, outDir, method, threshold, fraction, feature, confQ, varQ, regions, clusters, budget, seed, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var options = new SelectOptions
            {
                Method = p.GetValue(method)!, Threshold = p.GetValue(threshold), Fraction = p.GetValue(fraction),
                Feature = p.GetValue(feature)!, ConfidenceQuantile = p.GetValue(confQ), VariabilityQuantile = p.GetValue(varQ),
                Regions = p.GetValue(regions)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Clusters = p.GetValue(clusters), Budget = p.GetValue(budget), Seed = p.GetValue(seed),
            };
            var result = await SelectStage.RunAsync(p.GetValue(trajectories)!, p.GetValue(outDir)!, options, p.GetValue(overwrite), ct);
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"[green]select[/] {options.Method}: {result.Hard} hard of {result.Total} examples → {result.OutDir}");
            return CliHost.Ok;
        });
        return cmd;
    }
}
