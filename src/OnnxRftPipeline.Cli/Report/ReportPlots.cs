using System.Globalization;
using ScottPlot;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>The three report figures, each rendered to PNG bytes (the writer owns file names and atomic writes).</summary>
public static class ReportPlots
{
    public const int TrajectoryWidth = 1000, TrajectoryHeight = 560;
    public const int HardnessWidth = 900, HardnessHeight = 500;
    public const int ArmsWidth = 1200, ArmsHeight = 480;

    static readonly Color EasyColor = Color.FromHex("#1f77b4");
    static readonly Color HardColor = Color.FromHex("#d62728");
    static readonly Color PassColor = Color.FromHex("#ff7f0e");
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Loss per recorded point, one line per example of the (sub)sample, easy vs hard colours.</summary>
    public static byte[] LossTrajectories(IReadOnlyList<LossTrajectory> all, IReadOnlyList<LossTrajectory> shown)
    {
        var plt = NewPlot();
        // Easy first so the hard lines are drawn on top.
        foreach (var t in shown.OrderBy(t => t.IsHard))
        {
            if (t.Losses.Length == 0) continue;
            var xs = Enumerable.Range(1, t.Losses.Length).Select(i => (double)i).ToArray();
            var line = plt.Add.ScatterLine(xs, t.Losses);
            line.Color = (t.IsHard ? HardColor : EasyColor).WithAlpha(t.IsHard ? 0.55 : 0.30);
            line.LineWidth = 1.2f;
            line.MarkerSize = t.Losses.Length == 1 ? 4 : 0;
        }
        int easyAll = all.Count(t => !t.IsHard), hardAll = all.Count - easyAll;
        int easyShown = shown.Count(t => !t.IsHard), hardShown = shown.Count - easyShown;
        plt.Legend.ManualItems.Add(LegendLine($"easy ({Shown(easyShown, easyAll)})", EasyColor));
        plt.Legend.ManualItems.Add(LegendLine($"hard ({Shown(hardShown, hardAll)})", HardColor));
        plt.ShowLegend(Alignment.UpperRight);
        plt.Title("Probe SFT loss trajectories");
        plt.XLabel("recorded point");
        plt.YLabel("per-example loss");
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        return Png(plt, TrajectoryWidth, TrajectoryHeight);
    }

    /// <summary>Histogram of hardness scores, easy and hard stacked, with the decision threshold when there is one.</summary>
    public static byte[] Hardness(HardnessSummary h)
    {
        var plt = NewPlot();
        var scores = h.Scores.Select(s => s.Score).ToArray();
        double min = scores.Min(), max = scores.Max();
        if (h.Threshold is double th) { min = Math.Min(min, th); max = Math.Max(max, th); }
        if (max - min < 1e-12) { min -= 0.5; max += 0.5; }   // one distinct value: give the single bin a width
        int bins = Math.Clamp((int)Math.Ceiling(Math.Sqrt(scores.Length)), 5, 40);
        double width = (max - min) / bins;

        var easy = ScottPlot.Statistics.Histogram.WithBinCount(bins, min, max);
        var hard = ScottPlot.Statistics.Histogram.WithBinCount(bins, min, max);
        easy.IncludeOutliers = hard.IncludeOutliers = true;   // the max lands on the last bin's upper edge
        foreach (var s in h.Scores) (s.IsHard ? hard : easy).Add(s.Score);

        var bars = new List<Bar>();
        for (int i = 0; i < bins; i++)
        {
            double center = easy.Bins[i] + width / 2, e = easy.Counts[i], k = hard.Counts[i];
            if (e > 0) bars.Add(new Bar { Position = center, Value = e, Size = width, FillColor = EasyColor, LineWidth = 0 });
            if (k > 0) bars.Add(new Bar { Position = center, ValueBase = e, Value = e + k, Size = width, FillColor = HardColor, LineWidth = 0 });
        }
        plt.Add.Bars(bars);
        plt.Legend.ManualItems.Add(new LegendItem { LabelText = $"easy ({h.Scores.Count(s => !s.IsHard)})", FillColor = EasyColor });
        plt.Legend.ManualItems.Add(new LegendItem { LabelText = $"hard ({h.Scores.Count(s => s.IsHard)})", FillColor = HardColor });
        if (h.Threshold is double t)
        {
            var v = plt.Add.VerticalLine(t, 2, Colors.Black, LinePattern.Dashed);
            plt.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"threshold {Num(t)}", LineColor = Colors.Black, LineWidth = 2, LinePattern = LinePattern.Dashed,
            });
            _ = v;
        }
        plt.ShowLegend(Alignment.UpperRight);
        plt.Axes.Margins(bottom: 0);
        plt.Title($"Hardness scores ({(h.Method.Length > 0 ? h.Method : "method not named")})");
        plt.XLabel("score");
        plt.YLabel("examples");
        return Png(plt, HardnessWidth, HardnessHeight);
    }

    /// <summary>Two panels: greedy accuracy (and pass@k) per arm, and candidates drawn per arm.</summary>
    public static byte[] Arms(IReadOnlyList<ArmResult> arms)
    {
        // Short labels: full arm descriptions ("retrained (6 epochs): easy originals + ...") took most of the width
        // and squeezed the bars; the report's table beside the plot carries the full description.
        var names = arms.Select(a => ArmLabel(a.Name)).ToArray();
        // Horizontal bars read best with the labels on the vertical axis, first arm on top.
        double[] pos = Enumerable.Range(0, arms.Count).Select(i => (double)(arms.Count - 1 - i)).ToArray();
        bool anyPass = arms.Any(a => a.PassAtK is not null);

        var acc = NewPlot();
        var accBars = new List<Bar>();
        for (int i = 0; i < arms.Count; i++)
        {
            double offset = anyPass ? 0.2 : 0, size = anyPass ? 0.38 : 0.6;
            accBars.Add(HBar(pos[i] + offset, arms[i].GreedyAccuracy * 100, size, EasyColor, Pct(arms[i].GreedyAccuracy)));
            if (arms[i].PassAtK is double p)
                accBars.Add(HBar(pos[i] - offset, p * 100, size, PassColor, Pct(p)));
        }
        var ab = acc.Add.Bars(accBars);
        ab.Horizontal = true;
        acc.Axes.Left.SetTicks(pos, names);
        acc.Axes.SetLimitsX(0, 112);   // room for the value labels past 100%
        acc.Axes.SetLimitsY(-0.6, arms.Count - 0.4);
        acc.Title("Eval accuracy per arm");
        acc.XLabel("% of eval prompts");
        acc.Legend.ManualItems.Add(new LegendItem { LabelText = "greedy", FillColor = EasyColor });
        if (anyPass) acc.Legend.ManualItems.Add(new LegendItem { LabelText = PassLabel(arms), FillColor = PassColor });
        acc.ShowLegend(Alignment.LowerRight);

        var cand = NewPlot();
        var candBars = arms.Select((a, i) => HBar(pos[i], a.CandidatesDrawn, 0.6, HardColor, a.CandidatesDrawn.ToString("N0", Inv))).ToList();
        var cb = cand.Add.Bars(candBars);
        cb.Horizontal = true;
        cand.Axes.Left.SetTicks(pos, names);
        double maxC = Math.Max(1, arms.Max(a => a.CandidatesDrawn));
        cand.Axes.SetLimitsX(0, maxC * 1.18);
        cand.Axes.SetLimitsY(-0.6, arms.Count - 0.4);
        cand.Title("Candidates drawn per arm");
        cand.XLabel("sampled candidates");

        var mp = new Multiplot();
        mp.AddPlot(acc);
        mp.AddPlot(cand);
        mp.RemovePlot(mp.GetPlot(0));   // a new Multiplot starts with one empty plot
        mp.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return mp.Render(ArmsWidth, ArmsHeight).GetImageBytes(ImageFormat.Png);
    }

    /// <summary>An arm's name up to its first parenthesis or colon: "probe SFT (6 epochs on ...)" is "probe SFT".</summary>
    public static string ArmLabel(string name)
    {
        int cut = name.IndexOfAny(['(', ':']);
        var label = (cut > 0 ? name[..cut] : name).Trim();
        return label.Length > 0 ? label : name;
    }

    internal static string PassLabel(IReadOnlyList<ArmResult> arms)
    {
        var ks = arms.Where(a => a.PassAtK is not null).Select(a => a.K).Distinct().ToList();
        return ks.Count == 1 && ks[0] is int k ? $"pass@{k}" : "pass@k";
    }

    static Plot NewPlot()
    {
        ReportFont.EnsureRegistered();
        var plt = new Plot();
        plt.Font.Set(ReportFont.Name);
        plt.Legend.FontName = ReportFont.Name;
        return plt;
    }

    static Bar HBar(double position, double value, double size, Color color, string label) => new()
    {
        Position = position, Value = value, Size = size, FillColor = color, LineWidth = 0, Label = label,
    };

    static LegendItem LegendLine(string text, Color color) => new() { LabelText = text, LineColor = color, LineWidth = 3 };

    static byte[] Png(Plot plt, int w, int h) => plt.GetImageBytes(w, h, ImageFormat.Png);

    static string Shown(int shown, int all) => shown == all ? $"{all}" : $"{shown} of {all} shown";
    static string Num(double v) => v.ToString("0.####", Inv);
    static string Pct(double v) => (v * 100).ToString("0.0", Inv) + "%";
}
