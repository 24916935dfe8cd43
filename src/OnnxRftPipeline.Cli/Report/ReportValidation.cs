namespace OnnxRftPipeline.Cli.Report;

/// <summary>Rejects report data that would draw a misleading plot, before any file is written.</summary>
static class ReportValidation
{
    public static void Check(ReportData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        foreach (var s in d.Stages)
            if (!double.IsFinite(s.Seconds) || s.Seconds < 0)
                throw new ArgumentException($"report data: stage '{s.Name}' has invalid seconds {s.Seconds}");
        foreach (var t in d.Trajectories)
        {
            ArgumentNullException.ThrowIfNull(t.Losses, $"trajectory '{t.ExampleId}' losses");
            for (int i = 0; i < t.Losses.Length; i++)
                if (!double.IsFinite(t.Losses[i]))
                    throw new ArgumentException($"report data: trajectory of example '{t.ExampleId}' has a non-finite loss ({t.Losses[i]}) at point {i}");
        }
        foreach (var s in d.Hardness.Scores)
            if (!double.IsFinite(s.Score))
                throw new ArgumentException($"report data: hardness score of example '{s.ExampleId}' is not finite ({s.Score})");
        if (d.Hardness.Threshold is double th && !double.IsFinite(th))
            throw new ArgumentException($"report data: hardness threshold is not finite ({th})");
        foreach (var a in d.Arms)
        {
            if (!(a.GreedyAccuracy is >= 0 and <= 1))
                throw new ArgumentException($"report data: arm '{a.Name}' greedy accuracy {a.GreedyAccuracy} is outside 0..1");
            if (a.PassAtK is double p && !(p is >= 0 and <= 1))
                throw new ArgumentException($"report data: arm '{a.Name}' pass@k {p} is outside 0..1");
            if (a.CandidatesDrawn < 0 || a.SamplerTokens < 0 || !double.IsFinite(a.WallSeconds) || a.WallSeconds < 0)
                throw new ArgumentException($"report data: arm '{a.Name}' has a negative or non-finite count or time");
        }
        if (d.Build is { } b && (b.Examples < 0 || b.Easy < 0 || b.Hard < 0 || b.HardWithAccepted < 0 || b.Fallbacks < 0
                                 || b.GeneratedRows < 0 || b.Dropped < 0 || !double.IsFinite(b.MeanAcceptedPerHardPrompt)))
            throw new ArgumentException("report data: build summary has a negative or non-finite number");
    }
}
