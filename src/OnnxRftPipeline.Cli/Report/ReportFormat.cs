using System.Globalization;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>Number formats shared by report.md and the console table, so both show the same strings.</summary>
public static class ReportFormat
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>0.725 → "72.5%".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", Inv) + "%";

    public static string Percent(double? fraction) => fraction is double f ? Percent(f) : "n/a";

    /// <summary>Difference of two fractions in percentage points: "+3.5 pts", "-1.0 pts", "±0.0 pts".</summary>
    public static string PointsDelta(double fraction, double baseline)
    {
        double d = Math.Round((fraction - baseline) * 100, 1);
        return d == 0 ? "±0.0 pts" : (d > 0 ? "+" : "") + d.ToString("0.0", Inv) + " pts";
    }

    /// <summary>A paired comparison as "+52 / −18 (p < 0.001)"; "—" when there is none.</summary>
    public static string Paired(PairedComparison? p) => p is null ? "—"
        : $"+{p.Fixed.ToString(Inv)} / −{p.Broken.ToString(Inv)} ({PValue(p.PValue)})";

    /// <summary>"p < 0.001", "p = 0.034", "p = 0.52".</summary>
    public static string PValue(double p) => p < 0.001 ? "p < 0.001" : "p = " + p.ToString(p < 0.1 ? "0.000" : "0.00", Inv);

    /// <summary>12345 → "12,345".</summary>
    public static string Count(long n) => n.ToString("N0", Inv);

    public static string Decimal(double v, int digits = 2) => v.ToString("F" + digits, Inv);

    /// <summary>Seconds as "4.2 s", "3m 05s" or "1h 02m".</summary>
    public static string Duration(double seconds)
    {
        if (seconds < 60) return seconds.ToString("0.0", Inv) + " s";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1
            ? $"{(int)t.TotalHours}h {t.Minutes:00}m"
            : $"{t.Minutes}m {t.Seconds:00}s";
    }
}
