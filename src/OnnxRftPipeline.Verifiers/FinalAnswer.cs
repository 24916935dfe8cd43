using System.Globalization;
using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Verifiers;

/// <summary>Pulls the final answer out of a worked response (GSM8K convention: the text after the last <c>####</c>).</summary>
public static partial class FinalAnswer
{
    public const string Marker = "####";

    /// <summary>The rest of the line after the last <c>####</c>, trimmed; null when the text has no marker.</summary>
    public static string? AfterMarker(string text)
    {
        var i = text.LastIndexOf(Marker, StringComparison.Ordinal);
        if (i < 0) return null;
        var tail = text[(i + Marker.Length)..];
        var nl = tail.IndexOf('\n');
        return (nl < 0 ? tail : tail[..nl]).Trim();
    }

    /// <summary>The text after the last marker if there is one, else the whole text.</summary>
    public static string FinalOrWhole(string text) => AfterMarker(text) ?? text;

    // A minus sign counts only when it cannot be a binary operator (not preceded by a letter, digit or
    // closing bracket), so "14-5" ends in 5, not -5. Thousands separators must be full groups of 3.
    [GeneratedRegex(@"(?:(?<![\w.)\]])-)?(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")]
    private static partial Regex NumberRegex();

    /// <summary>
    /// The number a response commits to: the first number after the last <c>####</c> if there is a
    /// marker, else the last number in the text. Null when there is none.
    /// </summary>
    public static double? ExtractNumber(string text, out string? matched)
    {
        var tail = AfterMarker(text);
        Match? m = null;
        if (tail is not null)
        {
            var first = NumberRegex().Match(tail);
            m = first.Success ? first : null;
        }
        else
        {
            foreach (Match x in NumberRegex().Matches(text)) m = x;
        }
        matched = m?.Value;
        if (m is null) return null;
        return double.TryParse(m.Value.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            && double.IsFinite(v) ? v : null;
    }
}
