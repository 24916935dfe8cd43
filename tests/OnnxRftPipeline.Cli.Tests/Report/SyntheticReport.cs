using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Report;

/// <summary>Report data with made-up but plausible numbers: 500 examples, 20% hard, three arms.</summary>
static class SyntheticReport
{
    public static ReportData Make(int examples = 500, int points = 8)
    {
        var rng = new Random(7);
        var traj = new List<LossTrajectory>();
        var scores = new List<HardnessScore>();
        for (int i = 0; i < examples; i++)
        {
            bool hard = i % 5 == 0;
            double start = 2.5 + rng.NextDouble(), floor = hard ? 1.2 + rng.NextDouble() : 0.1 + 0.3 * rng.NextDouble();
            var losses = Enumerable.Range(0, points).Select(p => floor + (start - floor) * Math.Exp(-0.6 * p) + 0.05 * rng.NextDouble()).ToArray();
            var id = $"ex-{i:D4}";
            traj.Add(new LossTrajectory(id, losses, hard));
            scores.Add(new HardnessScore(id, losses[^1], hard));
        }
        double threshold = scores.Where(s => s.IsHard).Min(s => s.Score);
        return new ReportData
        {
            RunId = "run-20261123-test",
            RunFolder = "/tmp/runs/run-20261123-test",
            ConfigJson = "{\n  \"task\": \"addition\",\n  \"k\": 8\n}",
            TaskName = "addition",
            Stages =
            [
                new("probe-sft", 42.0, "done"), new("select", 0.8, "done"), new("export", 3.1, "done"),
                new("sample", 125.0, "done"), new("build", 1.5, "done"), new("retrain", 3725, "done"), new("eval", 12, "done"),
            ],
            Trajectories = traj,
            Hardness = new HardnessSummary { Method = "quantile", Threshold = threshold, Scores = scores },
            Arms =
            [
                new("probe SFT", 0.612, 0.8, 0, 0, 42.0, K: 8),
                new("RFT on all prompts", 0.655, 0.84, 4000, 123_456, 301, K: 8, VsBaseline: new PairedComparison(500, 30, 8, PairedComparison.SignTest(30, 8))),
                new("RFT on hard prompts (this run)", 0.649, null, 800, 24_680, 130.1, K: 8, VsBaseline: new PairedComparison(500, 12, 3, PairedComparison.SignTest(12, 3))),
            ],
            Build = new Curation.NextStage.BuildSummary(Examples: 500, Easy: 400, Hard: 100, HardWithAccepted: 87, Fallbacks: 13, Dropped: 0,
                GeneratedRows: 612, OriginalRows: 400, MeanAcceptedPerHardPrompt: 2.4567, CandidatesSeen: 700, DuplicatesRemoved: 0),
        };
    }
}
