using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;
using Spectre.Console;

using OnnxRftPipeline.Cli.Stages;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft build`: easy originals + accepted candidates for hard prompts → the next training set.</summary>
public static class BuildVerb
{
    public static Command Create()
    {
        var d = new BuildOptions();
        var data = Opt.Required<string>("--data", "The SFT examples the hardness was computed on.");
        var hardness = Opt.Required<string>("--hardness", "Hardness dataset from `rft select`.");
        var candidates = Opt.Required<string>("--candidates", "Scored candidates from `rft sample`.");
        var outDir = Opt.Required<string>("--out", "Output folder for the next-stage training set.");
        var policy = Opt.With("--policy", d.Policy, "replace: hard examples use accepted candidates only; augment: keep the original too.");
        policy.AcceptOnlyFromAmong("replace", "augment");
        var fallback = Opt.With("--fallback", d.Fallback, "Hard example with no accepted candidate: keep-original | drop.");
        fallback.AcceptOnlyFromAmong("keep-original", "drop");
        var maxPer = Opt.With("--max-per-prompt", d.MaxPerPrompt, "At most this many distinct accepted candidates per hard prompt.");
        var weighting = Opt.With("--weighting", d.Weighting, "uniform | per-prompt (a prompt's generated rows share weight 1).");
        weighting.AcceptOnlyFromAmong("uniform", "per-prompt");
        var overwrite = Opt.Flag("--overwrite", "Replace an existing output folder.");

        var cmd = new Command("build", "Build the next-stage training set from easy originals and accepted candidates.")
            .With(data, hardness, candidates, outDir, policy, fallback, maxPer, weighting, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var options = new BuildOptions
            {
                Policy = p.GetValue(policy)!, Fallback = p.GetValue(fallback)!, MaxPerPrompt = p.GetValue(maxPer), Weighting = p.GetValue(weighting)!,
            };
            var s = await BuildStage.RunAsync(p.GetValue(data)!, p.GetValue(hardness)!, p.GetValue(candidates)!, p.GetValue(outDir)!, options, p.GetValue(overwrite), ct);
            BuildStage.Render(s);
            return CliHost.Ok;
        });
        return cmd;
    }
}
