using System.Text.RegularExpressions;
using OnnxRftPipeline.Cli.Report;
using SkiaSharp;

namespace OnnxRftPipeline.Cli.Tests.Report;

public sealed class ReportWriterTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "rft-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    static List<string> ImageLinks(string md) =>
        Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void Write_FullData_ReportHasArmsTableBuildSummaryTimingsAndConfig()
    {
        var path = ReportWriter.Write(_dir, SyntheticReport.Make());

        Assert.Equal(Path.Combine(_dir, "report.md"), path);
        var md = File.ReadAllText(path);
        Assert.StartsWith("# Run report: run-20261123-test", md);
        Assert.Contains("| Arm | Greedy accuracy | Δ vs probe SFT | Fixed / broken vs probe SFT | pass@8 | Candidates drawn | Sampler tokens | Wall time |", md);
        Assert.Contains("| probe SFT | 61.2% | — | — | 80.0% | 0 | 0 | 42.0 s |", md);
        Assert.Contains("| RFT on all prompts | 65.5% | +4.3 pts | +30 / −8 (p < 0.001) | 84.0% | 4,000 | 123,456 | 5m 01s |", md);
        // 12 vs 3 disagreements: 2 · (C(15,0) + C(15,1) + C(15,2) + C(15,3)) / 2^15 = 2 · 576 / 32768 = 0.035.
        Assert.Contains("| RFT on hard prompts (this run) | 64.9% | +3.7 pts | +12 / −3 (p = 0.035) | n/a | 800 | 24,680 | 2m 10s |", md);
        Assert.Contains("| Hard with at least one accepted candidate | 87 |", md);
        Assert.Contains("| Fallbacks (hard, none accepted, original kept) | 13 |", md);
        Assert.Contains("| Generated rows | 612 |", md);
        Assert.Contains("| Accepted per hard prompt | 2.46 |", md);
        Assert.Contains("| retrain | done | 1h 02m |", md);
        Assert.Contains("| **Total** | | **1h 05m** |", md);
        Assert.Contains("- Hard-example selection: quantile, decision threshold", md);
        Assert.Contains("300 of 500 examples are drawn", md);
        Assert.Contains("```json\n{\n  \"task\": \"addition\",\n  \"k\": 8\n}\n```", md.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Write_FullData_LinksThreePngsThatExistWithTheRenderedSize()
    {
        var md = File.ReadAllText(ReportWriter.Write(_dir, SyntheticReport.Make()));

        var links = ImageLinks(md);
        Assert.Equal([ReportWriter.TrajectoriesPng, ReportWriter.HardnessPng, ReportWriter.ArmsPng], links);
        var expected = new Dictionary<string, (int, int)>
        {
            [ReportWriter.TrajectoriesPng] = (ReportPlots.TrajectoryWidth, ReportPlots.TrajectoryHeight),
            [ReportWriter.HardnessPng] = (ReportPlots.HardnessWidth, ReportPlots.HardnessHeight),
            [ReportWriter.ArmsPng] = (ReportPlots.ArmsWidth, ReportPlots.ArmsHeight),
        };
        foreach (var link in links)
        {
            var file = Path.Combine(_dir, link);   // relative to report.md
            Assert.True(File.Exists(file), $"{link} is linked but missing");
            Assert.Equal(expected[link], PngFile.Size(file));
            using var bmp = SKBitmap.Decode(file);
            Assert.NotNull(bmp);
            Assert.Equal(expected[link], (bmp.Width, bmp.Height));
        }
        // Only the report and its plots: temp files were renamed away.
        Assert.Equal(["report-arms.png", "report-hardness.png", "report-loss-trajectories.png", "report.md"],
            Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Write_TrajectoryAndHardnessPlots_DrawBothClassColours()
    {
        ReportWriter.Write(_dir, SyntheticReport.Make());

        foreach (var png in new[] { ReportWriter.TrajectoriesPng, ReportWriter.HardnessPng })
        {
            using var bmp = SKBitmap.Decode(Path.Combine(_dir, png));
            int red = 0, blue = 0;
            for (int y = 0; y < bmp.Height; y += 2)
            for (int x = 0; x < bmp.Width; x += 2)
            {
                var c = bmp.GetPixel(x, y);
                if (c.Red > c.Blue + 60 && c.Red > c.Green + 60) red++;
                if (c.Blue > c.Red + 60 && c.Blue > c.Green + 20) blue++;
            }
            Assert.True(red > 200, $"{png}: {red} hard-coloured pixels");
            Assert.True(blue > 200, $"{png}: {blue} easy-coloured pixels");
        }
    }

    [Fact]
    public void Write_NoTrajectoriesNoScores_SaysSoAndRemovesStalePlots()
    {
        var full = SyntheticReport.Make();
        ReportWriter.Write(_dir, full);   // an earlier report in the same folder left all three PNGs
        var empty = new ReportData
        {
            RunId = full.RunId, RunFolder = full.RunFolder, TaskName = full.TaskName, ConfigJson = full.ConfigJson,
            Stages = full.Stages, Arms = full.Arms, Build = full.Build,
            Hardness = new HardnessSummary { Method = "quantile" },
        };

        var md = File.ReadAllText(ReportWriter.Write(_dir, empty));

        Assert.Contains("No loss trajectories were recorded in this run, so there is no trajectory plot.", md);
        Assert.Contains("No hardness scores were recorded in this run, so there is no histogram.", md);
        Assert.Equal([ReportWriter.ArmsPng], ImageLinks(md));
        Assert.False(File.Exists(Path.Combine(_dir, ReportWriter.TrajectoriesPng)));
        Assert.False(File.Exists(Path.Combine(_dir, ReportWriter.HardnessPng)));
        Assert.True(File.Exists(Path.Combine(_dir, ReportWriter.ArmsPng)));
    }

    [Fact]
    public void Write_EmptyData_WritesAReportThatSaysWhatIsMissing()
    {
        var md = File.ReadAllText(ReportWriter.Write(_dir, new ReportData()));

        Assert.Contains("No arm was evaluated in this run.", md);
        Assert.Contains("The build stage did not run, so there is no build summary.", md);
        Assert.Contains("No stage timings were recorded.", md);
        Assert.Contains("No config was recorded.", md);
        Assert.Empty(ImageLinks(md));
        Assert.Equal(["report.md"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).ToArray());
    }

    [Fact]
    public void Write_SingleScoreNoThreshold_StillDrawsHistogramAndSaysThereIsNoThreshold()
    {
        var data = new ReportData
        {
            Hardness = new HardnessSummary
            {
                Method = "s2l",
                Scores = [new("a", 1.0, true), new("b", 1.0, false), new("c", 1.0, false)],
            },
        };

        var md = File.ReadAllText(ReportWriter.Write(_dir, data));

        Assert.Equal([ReportWriter.HardnessPng], ImageLinks(md));
        Assert.Contains("This method has no single score threshold, so none is drawn", md);
        Assert.Equal((ReportPlots.HardnessWidth, ReportPlots.HardnessHeight), PngFile.Size(Path.Combine(_dir, ReportWriter.HardnessPng)));
    }

    [Fact]
    public void Write_NonFiniteLoss_ThrowsNamingTheExampleAndWritesNothing()
    {
        var data = SyntheticReport.Make(examples: 10);
        data.Trajectories[3].Losses[2] = double.NaN;

        var e = Assert.Throws<ArgumentException>(() => ReportWriter.Write(_dir, data));

        Assert.Contains("ex-0003", e.Message);
        Assert.Contains("point 2", e.Message);
        Assert.False(Directory.Exists(_dir) && Directory.EnumerateFileSystemEntries(_dir).Any());
    }

    [Fact]
    public void Write_AccuracyAboveOne_ThrowsNamingTheArm()
    {
        var data = new ReportData { Arms = [new("probe SFT", 61.2, null, 0, 0, 1)] };

        var e = Assert.Throws<ArgumentException>(() => ReportWriter.Write(_dir, data));

        Assert.Contains("'probe SFT'", e.Message);
        Assert.Contains("outside 0..1", e.Message);
    }

    [Fact]
    public void Write_ArmNameWithPipe_IsEscapedInTheTable()
    {
        var data = new ReportData { Arms = [new("a|b", 0.5, null, 1, 2, 3)] };

        var md = File.ReadAllText(ReportWriter.Write(_dir, data));

        Assert.Contains("| a\\|b | 50.0% | — | — | n/a | 1 | 2 | 3.0 s |", md);
    }
}
