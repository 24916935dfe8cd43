using OnnxRftPipeline.Cli.Report;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Tests.Report;

public sealed class ReportConsoleTests
{
    static string Render(ReportData data)
    {
        var sw = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(sw),
        });
        console.Profile.Width = 160;
        ReportConsole.Render(data, console);
        return sw.ToString();
    }

    [Fact]
    public void Render_ShowsArmsAndBuildSummaryWithTheReportsFormats()
    {
        var text = Render(SyntheticReport.Make(examples: 20));

        var rft = text.Split('\n').Single(l => l.Contains("RFT on hard prompts (this run)"));
        foreach (var cell in new[] { "64.9%", "+3.7 pts", "+12 / −3 (p = 0.035)", "n/a", "800", "24,680", "2m 10s" }) Assert.Contains(cell, rft);
        Assert.Contains("pass@8", text);
        Assert.Contains("Δ and fixed / broken prompts against probe SFT", text);
        Assert.Contains("123,456", text);
        Assert.Contains(text.Split('\n'), l => l.Contains("Accepted per hard prompt") && l.Contains("2.46"));
        Assert.Contains(text.Split('\n'), l => l.Contains("Fallbacks (hard, none accepted, original kept)") && l.Contains("13"));
    }

    [Fact]
    public void Render_LeavesOutAPassAtKColumnNoArmHas()
    {
        var data = SyntheticReport.Make(examples: 20);
        var withoutPass = new ReportData { RunId = data.RunId, Arms = data.Arms.Select(a => a with { PassAtK = null }).ToList(), Build = data.Build };
        var text = Render(withoutPass);
        Assert.DoesNotContain("pass@", text);
        Assert.DoesNotContain("n/a", text);
        var rft = text.Split('\n').Single(l => l.Contains("RFT on hard prompts (this run)"));
        foreach (var cell in new[] { "64.9%", "+3.7 pts", "+12 / −3 (p = 0.035)", "800", "24,680", "2m 10s" }) Assert.Contains(cell, rft);
    }

    [Fact]
    public void Render_EmptyData_SaysWhatIsMissing()
    {
        var text = Render(new ReportData { RunId = "r1" });

        Assert.Contains("No arm was evaluated in this run.", text);
        Assert.Contains("The build stage did not run", text);
    }
}
