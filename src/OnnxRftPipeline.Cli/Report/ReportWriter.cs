namespace OnnxRftPipeline.Cli.Report;

/// <summary>Writes report.md and its PNG plots into a run folder.</summary>
public static class ReportWriter
{
    public const string ReportFile = "report.md";
    public const string TrajectoriesPng = "report-loss-trajectories.png";
    public const string HardnessPng = "report-hardness.png";
    public const string ArmsPng = "report-arms.png";

    /// <summary>
    /// Renders everything in memory first (bad data throws before any file changes), then writes each file
    /// through a temp name and rename; report.md goes last so its presence means its images are in place.
    /// A plot with no data is not drawn: the report says so and a stale PNG from an earlier write is removed.
    /// Returns the path of report.md.
    /// </summary>
    public static string Write(string runDir, ReportData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDir);
        ReportValidation.Check(data);

        byte[]? traj = null, hard = null, arms = null;
        int shown = 0;
        if (data.Trajectories.Any(t => t.Losses.Length > 0))
        {
            var pick = TrajectorySample.Pick(data.Trajectories);
            shown = pick.Count;
            traj = ReportPlots.LossTrajectories(data.Trajectories, pick);
        }
        if (data.Hardness.Scores.Count > 0) hard = ReportPlots.Hardness(data.Hardness);
        if (data.Arms.Count > 0) arms = ReportPlots.Arms(data.Arms);

        var md = ReportMarkdown.Compose(data, new ReportMarkdown.Plots(
            traj is null ? null : TrajectoriesPng, shown,
            hard is null ? null : HardnessPng,
            arms is null ? null : ArmsPng));

        Directory.CreateDirectory(runDir);
        Put(runDir, TrajectoriesPng, traj);
        Put(runDir, HardnessPng, hard);
        Put(runDir, ArmsPng, arms);
        var reportPath = Path.Combine(runDir, ReportFile);
        Atomic(reportPath, System.Text.Encoding.UTF8.GetBytes(md));
        return reportPath;
    }

    static void Put(string dir, string name, byte[]? bytes)
    {
        var path = Path.Combine(dir, name);
        if (bytes is null) File.Delete(path);   // no-op when absent
        else Atomic(path, bytes);
    }

    static void Atomic(string path, byte[] bytes)
    {
        // Dot-prefixed temp in the same folder: same filesystem for the rename, and run checksums skip dot files.
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        try
        {
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
