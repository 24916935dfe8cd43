using System.Globalization;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 5, build: easy originals + accepted candidates for hard prompts → the next training set.</summary>
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
