using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Selection;
using Spectre.Console;

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
            Render(s);
            return CliHost.Ok;
        });
        return cmd;
    }

    public static void Render(BuildSummary s)
    {
        var t = new Table().Title("next-stage set").AddColumns("examples", "easy", "hard", "hard with accepted", "fallbacks", "dropped", "generated rows", "original rows", "accepted / hard prompt", "duplicates removed");
        t.AddRow(new[] { s.Examples, s.Easy, s.Hard, s.HardWithAccepted, s.Fallbacks, s.Dropped, s.GeneratedRows, s.OriginalRows }
            .Select(x => x.ToString(CultureInfo.InvariantCulture))
            .Append(s.MeanAcceptedPerHardPrompt.ToString("F2", CultureInfo.InvariantCulture))
            .Append(s.DuplicatesRemoved.ToString(CultureInfo.InvariantCulture)).ToArray());
        AnsiConsole.Write(t);
    }
}

/// <summary>The build stage as a function, shared by the verb and the cycle.</summary>
public static class BuildStage
{
    public static async Task<BuildSummary> RunAsync(string dataDir, string hardnessDir, string candidatesDir, string outDir,
        BuildOptions options, bool overwrite, CancellationToken ct)
    {
        var data = await PartFiles.ReadAllAsync<SftExample>(dataDir, ct);
        var hardness = await PartFiles.ReadAllAsync<HardnessRow>(hardnessDir, ct);
        var candidates = Directory.Exists(candidatesDir) || File.Exists(candidatesDir)
            ? await PartFiles.ReadAllAsync<CandidateRow>(candidatesDir, ct)
            : throw new DirectoryNotFoundException($"{candidatesDir}: candidates folder not found");
        var (rows, summary) = NextStageBuilder.Build(data, hardness, candidates, options);
        // The next-stage set carries the run and model version of the samples it was built from.
        var from = await Lineage.ReadAsync(PartFiles.ListParts(candidatesDir)[0], ct);
        var meta = new Lineage { RunId = from.RunId, Producer = "rft build", ModelVersion = from.ModelVersion, Seed = from.Seed }
            .WithSettings(options).ToMetadata();
        await StagedFolder.WriteAsync(outDir, dir => PartFiles.WritePartAsync(dir, 0, rows, meta, ct), overwrite, ct);
        return summary;
    }
}
