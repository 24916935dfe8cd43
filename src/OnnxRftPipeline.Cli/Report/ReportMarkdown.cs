using System.Text;
using static OnnxRftPipeline.Cli.Report.ReportFormat;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>Composes report.md from the data and the names of the plots that were rendered (null = not rendered).</summary>
static class ReportMarkdown
{
    public sealed record Plots(string? Trajectories, int TrajectoriesShown, string? Hardness, string? Arms);

    public static string Compose(ReportData d, Plots plots)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Run report: {Inline(d.RunId.Length > 0 ? d.RunId : "(unnamed run)")}").AppendLine();
        WhatWasRun(md, d);
        ArmsTable(md, d);
        BuildSummary(md, d);
        StageTimings(md, d);
        TrajectoryPlot(md, d, plots);
        HardnessPlot(md, d, plots);
        ArmsPlot(md, d, plots);
        Config(md, d);
        return md.ToString();
    }

    static void WhatWasRun(StringBuilder md, ReportData d)
    {
        md.AppendLine("## What was run").AppendLine();
        md.AppendLine($"- Task: {Inline(d.TaskName.Length > 0 ? d.TaskName : "(not named)")}");
        md.AppendLine($"- Run folder: `{d.RunFolder}`");
        if (d.Stages.Count > 0)
            md.AppendLine($"- Stages: {string.Join(" → ", d.Stages.Select(s => $"{Inline(s.Name)} ({Inline(s.Status)})"))}");
        else
            md.AppendLine("- Stages: none recorded");
        if (d.Hardness.Method.Length > 0)
        {
            var th = d.Hardness.Threshold is double t ? $", decision threshold {Decimal(t, 4)}" : ", no single score threshold";
            md.AppendLine($"- Hard-example selection: {Inline(d.Hardness.Method)}{th}");
        }
        md.AppendLine();
    }

    static void ArmsTable(StringBuilder md, ReportData d)
    {
        md.AppendLine("## Results per arm").AppendLine();
        if (d.Arms.Count == 0) { md.AppendLine("No arm was evaluated in this run.").AppendLine(); return; }
        var pass = ReportPlots.PassLabel(d.Arms);
        var baseline = d.Arms[0];
        md.AppendLine($"| Arm | Greedy accuracy | Δ vs {Cell(baseline.Name)} | Fixed / broken vs {Cell(baseline.Name)} | {pass} | Candidates drawn | Sampler tokens | Wall time |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var a in d.Arms)
            md.AppendLine($"| {Cell(a.Name)} | {Percent(a.GreedyAccuracy)} | {(ReferenceEquals(a, baseline) ? "—" : PointsDelta(a.GreedyAccuracy, baseline.GreedyAccuracy))} " +
                          $"| {Paired(a.VsBaseline)} | {Percent(a.PassAtK)} | {Count(a.CandidatesDrawn)} | {Count(a.SamplerTokens)} | {Duration(a.WallSeconds)} |");
        md.AppendLine();
        md.AppendLine("Accuracies are on the same eval prompts. Fixed / broken: prompts the arm answers right and the first arm wrong, and the " +
                      "reverse; p is the exact sign test on them (McNemar): how likely a split at least this uneven would be if neither " +
                      "model were better. A few points' difference with a large p can be noise.").AppendLine();
    }

    static void BuildSummary(StringBuilder md, ReportData d)
    {
        md.AppendLine("## Next-stage training set").AppendLine();
        if (d.Build is not { } b) { md.AppendLine("The build stage did not run, so there is no build summary.").AppendLine(); return; }
        md.AppendLine("| | |").AppendLine("|---|---:|");
        md.AppendLine($"| Examples | {Count(b.Examples)} |");
        md.AppendLine($"| Easy (demonstration kept) | {Count(b.Easy)} |");
        md.AppendLine($"| Hard | {Count(b.Hard)} |");
        md.AppendLine($"| Hard with at least one accepted candidate | {Count(b.HardWithAccepted)} |");
        md.AppendLine($"| Fallbacks (hard, none accepted, original kept) | {Count(b.Fallbacks)} |");
        if (b.Dropped > 0) md.AppendLine($"| Dropped (hard, none accepted) | {Count(b.Dropped)} |");
        md.AppendLine($"| Generated rows | {Count(b.GeneratedRows)} |");
        md.AppendLine($"| Accepted per hard prompt | {Decimal(b.MeanAcceptedPerHardPrompt)} |");
        md.AppendLine();
    }

    static void StageTimings(StringBuilder md, ReportData d)
    {
        md.AppendLine("## Stage timings").AppendLine();
        if (d.Stages.Count == 0) { md.AppendLine("No stage timings were recorded.").AppendLine(); return; }
        md.AppendLine("| Stage | Status | Time |").AppendLine("|---|---|---:|");
        foreach (var s in d.Stages) md.AppendLine($"| {Cell(s.Name)} | {Cell(s.Status)} | {Duration(s.Seconds)} |");
        md.AppendLine($"| **Total** | | **{Duration(d.Stages.Sum(s => s.Seconds))}** |");
        md.AppendLine();
    }

    static void TrajectoryPlot(StringBuilder md, ReportData d, Plots p)
    {
        md.AppendLine("## Loss trajectories").AppendLine();
        if (p.Trajectories is null) { md.AppendLine("No loss trajectories were recorded in this run, so there is no trajectory plot.").AppendLine(); return; }
        md.AppendLine($"![Probe SFT loss trajectories]({p.Trajectories})").AppendLine();
        int hard = d.Trajectories.Count(t => t.IsHard);
        var sample = p.TrajectoriesShown == d.Trajectories.Count
            ? $"All {Count(d.Trajectories.Count)} examples are drawn."
            : $"{Count(p.TrajectoriesShown)} of {Count(d.Trajectories.Count)} examples are drawn (a deterministic subsample by example id, both classes kept).";
        md.AppendLine($"Per-example loss of the probe SFT at each recorded point; red lines are the {Count(hard)} examples selected as hard, blue the rest. {sample}").AppendLine();
    }

    static void HardnessPlot(StringBuilder md, ReportData d, Plots p)
    {
        md.AppendLine("## Hardness scores").AppendLine();
        if (p.Hardness is null) { md.AppendLine("No hardness scores were recorded in this run, so there is no histogram.").AppendLine(); return; }
        md.AppendLine($"![Histogram of hardness scores]({p.Hardness})").AppendLine();
        var scores = d.Hardness.Scores;
        int hard = scores.Count(s => s.IsHard);
        var th = d.Hardness.Threshold is double t
            ? $" The dashed line is the decision threshold ({Decimal(t, 4)})."
            : " This method has no single score threshold, so none is drawn; hard and easy may overlap in score.";
        md.AppendLine($"Scores of {Count(scores.Count)} examples by {Inline(d.Hardness.Method.Length > 0 ? d.Hardness.Method : "an unnamed method")}; {Count(hard)} are hard (red, stacked on easy in blue).{th}").AppendLine();
        if (d.Hardness.Noise is { } n)
            md.AppendLine($"The data marks {Count(n.Noisy)} demonstrations as noisy (written to be hard to fit). The selection flagged {Count(n.NoisyAndHard)} of them as hard "
                + $"(recall {Percent(n.Recall)}); {Percent(n.Precision)} of the hard examples are noisy, against {Percent(n.ChancePrecision)} for a random pick of the same size.").AppendLine();
    }

    static void ArmsPlot(StringBuilder md, ReportData d, Plots p)
    {
        md.AppendLine("## Accuracy and sampling cost").AppendLine();
        if (p.Arms is null) { md.AppendLine("No arm was evaluated, so there is no accuracy plot.").AppendLine(); return; }
        md.AppendLine($"![Accuracy and candidates drawn per arm]({p.Arms})").AppendLine();
        md.AppendLine("Left: greedy accuracy per arm" + (d.Arms.Any(a => a.PassAtK is not null) ? $" and {ReportPlots.PassLabel(d.Arms)} where sampled" : "")
                      + ". Right: candidates the sampler drew to build each arm's training data (0 for arms that sampled nothing).").AppendLine();
    }

    static void Config(StringBuilder md, ReportData d)
    {
        md.AppendLine("## Config").AppendLine();
        if (string.IsNullOrWhiteSpace(d.ConfigJson)) { md.AppendLine("No config was recorded.").AppendLine(); return; }
        // A fence longer than any backtick run inside the text keeps the block closed.
        int run = 0, longest = 0;
        foreach (var c in d.ConfigJson) { run = c == '`' ? run + 1 : 0; longest = Math.Max(longest, run); }
        var fence = new string('`', Math.Max(3, longest + 1));
        md.AppendLine(fence + "json").AppendLine(d.ConfigJson.TrimEnd()).AppendLine(fence);
    }

    /// <summary>Table cell text: a pipe or newline would break the row.</summary>
    static string Cell(string s) => Inline(s).Replace("|", "\\|");

    static string Inline(string s) => s.Replace("\r", " ").Replace("\n", " ");
}
