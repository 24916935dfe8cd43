using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 3, select: loss trajectories → hardness (is_hard, score, cluster, reason) per example.</summary>
public static class SelectStage
{
    public sealed record Result(int Total, int Hard, string OutDir, IReadOnlyList<HardnessRow> Rows)
    {
        /// <summary>The numbers without the rows (what the cycle's manifest keeps).</summary>
        public Counts Counts => new(Total, Hard, OutDir);
    }

    public sealed record Counts(int Total, int Hard, string OutDir);

    public static async Task<Result> RunAsync(string trajectoriesDir, string outDir, SelectOptions options, bool overwrite, CancellationToken ct)
    {
        var rows = await PartFiles.ReadAllAsync<TrajectoryRow>(trajectoriesDir, ct);
        var features = TrajectoryFeatures.Compute(rows);
        var hardness = HardnessSelector.Select(features, options);
        // Hardness belongs to the training run whose trajectories it reads.
        var meta = new Lineage { RunId = rows.Select(r => r.RunId).FirstOrDefault() ?? "", Producer = "rft select", Seed = options.Seed }
            .WithSettings(options).ToMetadata();
        await StagedFolder.WriteAsync(outDir, dir => PartFiles.WritePartAsync(dir, 0, hardness.ToList(), meta, ct), overwrite, ct);
        return new Result(hardness.Count, hardness.Count(h => h.IsHard), Path.GetFullPath(outDir), hardness);
    }
}
