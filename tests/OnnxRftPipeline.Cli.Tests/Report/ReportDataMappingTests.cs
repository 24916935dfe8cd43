using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Report;

public sealed class ReportDataMappingTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "rft-report-map-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void BuildersSummary_IsShownWithDroppedOnlyWhenNonZero()
    {
        // The report shows the builder's own summary (one BuildSummary type, no mapping in between).
        var b = new Curation.NextStage.BuildSummary(Examples: 50, Easy: 40, Hard: 10, HardWithAccepted: 6, Fallbacks: 0, Dropped: 4,
            GeneratedRows: 15, OriginalRows: 40, MeanAcceptedPerHardPrompt: 1.5, CandidatesSeen: 80, DuplicatesRemoved: 3);

        var md = File.ReadAllText(ReportWriter.Write(_dir, new ReportData { Build = b }));
        Assert.Contains("| Dropped (hard, none accepted) | 4 |", md);
        Assert.Contains("| Accepted per hard prompt | 1.50 |", md);
        var none = File.ReadAllText(ReportWriter.Write(_dir, new ReportData { Build = b with { Dropped = 0 } }));
        Assert.DoesNotContain("Dropped", none);
    }

    [Fact]
    public void StageTimingFromManifest_KeepsOrderSecondsAndStatus()
    {
        var m = new RunManifest { RunId = "r" };
        m.Stage("probe-sft").Seconds = 12.5;
        m.Stage("probe-sft").Status = "done";
        m.Stage("sample").Status = "failed";

        Assert.Equal([new StageTiming("probe-sft", 12.5, "done"), new StageTiming("sample", 0, "failed")], CycleReport.StageTimings(m));
    }
}
