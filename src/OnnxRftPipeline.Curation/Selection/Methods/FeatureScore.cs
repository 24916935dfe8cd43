namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>Orients every feature so that a larger score means harder.</summary>
static class FeatureScore
{
    public static readonly string[] Names = ["final_loss", "loss_auc", "relative_drop", "confidence", "variability"];

    public static double Of(ExampleFeatures f, string feature) => feature switch
    {
        "final_loss" => f.FinalLoss,
        "loss_auc" => f.LossAuc,
        "relative_drop" => 1 - f.RelativeDrop,   // learned little → hard
        "confidence" => 1 - f.Confidence,        // low p(gold) → hard
        "variability" => f.Variability,
        _ => throw new ArgumentException($"select: unknown feature '{feature}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>The q-quantile of values (linear interpolation between order statistics).</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var s = values.OrderBy(v => v).ToArray();
        if (s.Length == 1) return s[0];
        double pos = Math.Clamp(q, 0, 1) * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
