using Spectre.Console;
using static OnnxRftPipeline.Cli.Report.ReportFormat;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>The report's arms table and build summary on the terminal, same numbers and formats as report.md.</summary>
public static class ReportConsole
{
    public static void Render(ReportData data, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var c = console ?? AnsiConsole.Console;
        c.Write(new Rule($"[bold]Run {Markup.Escape(data.RunId)}[/]{(data.TaskName.Length > 0 ? " · " + Markup.Escape(data.TaskName) : "")}").LeftJustified());

        if (data.Arms.Count == 0) c.MarkupLine("[yellow]No arm was evaluated in this run.[/]");
        else
        {
            var baseline = data.Arms[0];
            // A terminal is narrower than report.md's table: a pass@k column that no arm has is left out.
            bool pass = data.Arms.Any(a => a.PassAtK is not null);
            // Short headers (the baseline's name goes in the caption), so arm names keep most of an 80-column terminal.
            var t = new Table().Border(TableBorder.Rounded).Title("Results per arm")
                .Caption(Markup.Escape($"Δ and fixed / broken prompts against {baseline.Name}; p: exact sign test"));
            t.AddColumn("Arm");
            foreach (var h in new[] { "Greedy acc.", "Δ", "Fixed / broken", pass ? ReportPlots.PassLabel(data.Arms) : null, "Candidates", "Sampler tokens", "Wall time" })
                if (h is not null) t.AddColumn(new TableColumn(Markup.Escape(h)).RightAligned());
            foreach (var a in data.Arms)
                t.AddRow(new[]
                {
                    Markup.Escape(a.Name), Percent(a.GreedyAccuracy), ReferenceEquals(a, baseline) ? "—" : PointsDelta(a.GreedyAccuracy, baseline.GreedyAccuracy),
                    Markup.Escape(Paired(a.VsBaseline)), pass ? Percent(a.PassAtK) : null, Count(a.CandidatesDrawn), Count(a.SamplerTokens), Duration(a.WallSeconds),
                }.OfType<string>().ToArray());
            c.Write(t);
        }

        if (data.Build is not { } b) c.MarkupLine("[yellow]The build stage did not run, so there is no build summary.[/]");
        else
        {
            var t = new Table().Border(TableBorder.Rounded).Title("Next-stage training set");
            t.AddColumn("");
            t.AddColumn(new TableColumn("").RightAligned());
            t.HideHeaders();
            t.AddRow("Examples", Count(b.Examples));
            t.AddRow("Easy (demonstration kept)", Count(b.Easy));
            t.AddRow("Hard", Count(b.Hard));
            t.AddRow("Hard with at least one accepted candidate", Count(b.HardWithAccepted));
            t.AddRow("Fallbacks (hard, none accepted, original kept)", Count(b.Fallbacks));
            if (b.Dropped > 0) t.AddRow("Dropped (hard, none accepted)", Count(b.Dropped));
            t.AddRow("Generated rows", Count(b.GeneratedRows));
            t.AddRow("Accepted per hard prompt", Decimal(b.MeanAcceptedPerHardPrompt));
            c.Write(t);
        }
    }
}
