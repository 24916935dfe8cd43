using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Curation.Pairs;
using Spectre.Console;

using OnnxRftPipeline.Cli.Stages;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft pairs`: demonstration (or accepted candidate) vs a sampled candidate → SPIN pairs.</summary>
public static class PairsVerb
{
    public static Command Create()
    {
        var d = new PairOptions();
        var data = Opt.Required<string>("--data", "The SFT examples the candidates were sampled for.");
        var candidates = Opt.Required<string>("--candidates", "Scored candidates from `rft sample` (sample every prompt for SPIN).");
        var outDir = Opt.Required<string>("--out", "Output folder for the pairs dataset.");
        var chosen = Opt.With("--chosen", d.Chosen, "accepted: the best accepted candidate (the demonstration when none); demo: the demonstration (SPIN's form).");
        chosen.AcceptOnlyFromAmong([.. PairOptions.ChosenPolicies]);
        var rejected = Opt.With("--rejected", d.Rejected,
            "rejected: only verifier-rejected candidates; rejected-or-any: a verifier-rejected candidate, else any sample; any: any sample (no verifier).");
        rejected.AcceptOnlyFromAmong([.. PairOptions.RejectedPolicies]);
        var perPrompt = Opt.With("--pairs-per-prompt", d.PairsPerPrompt, "At most this many pairs per prompt (distinct rejected texts).");
        var runId = Opt.Optional<string>("--run-id", "Lineage run id (default: a hash of the pairs).");
        var overwrite = Opt.Flag("--overwrite", "Replace an existing output folder.");
        var cmd = new Command("pairs", "Build SPIN pairs: chosen = demonstration (or accepted candidate), rejected = a sampled candidate.")
            .With(data, candidates, outDir, chosen, rejected, perPrompt, runId, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var options = new PairOptions
            {
                Chosen = p.GetValue(chosen)!, Rejected = p.GetValue(rejected)!, PairsPerPrompt = p.GetValue(perPrompt), RunId = p.GetValue(runId) ?? "",
            };
            var s = await PairsStage.RunAsync(p.GetValue(data)!, p.GetValue(candidates)!, p.GetValue(outDir)!, options, p.GetValue(overwrite), ct);
            PairsStage.Render(s, Path.GetFullPath(p.GetValue(outDir)!));
            return CliHost.Ok;
        });
        return cmd;
    }
}
