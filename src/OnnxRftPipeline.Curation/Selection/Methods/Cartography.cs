using System.Globalization;

namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>
/// Dataset cartography (Swayamdipta et al. 2020): confidence = mean p(gold) over epochs, variability = its std.
/// hard-to-learn = low confidence and low variability (often label errors), ambiguous = high variability,
/// easy-to-learn = the rest. Thresholds are quantiles of this data set, since absolute values depend on the model.
/// </summary>
static class Cartography
{
    public static readonly string[] RegionNames = ["hard-to-learn", "ambiguous", "easy-to-learn"];

    public static Decision[] Decide(IReadOnlyList<ExampleFeatures> features, SelectOptions o)
    {
        foreach (var r in o.Regions)
            if (!RegionNames.Contains(r))
                throw new ArgumentException($"select: unknown cartography region '{r}' (known: {string.Join(", ", RegionNames)})");
        double lowConfidence = FeatureScore.Quantile(features.Select(f => f.Confidence), o.ConfidenceQuantile);
        double highVariability = FeatureScore.Quantile(features.Select(f => f.Variability), o.VariabilityQuantile);
        return features.Select(f =>
        {
            string region = f.Variability >= highVariability && highVariability > 0 ? "ambiguous"
                : f.Confidence <= lowConfidence ? "hard-to-learn"
                : "easy-to-learn";
            return new Decision(o.Regions.Contains(region), 1 - f.Confidence, null,
                string.Create(CultureInfo.InvariantCulture,
                    $"{region} (confidence {f.Confidence:G4} vs low {lowConfidence:G4}, variability {f.Variability:G4} vs high {highVariability:G4})"));
        }).ToArray();
    }
}
