using System.Globalization;

namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>Hard = among the hardest fraction by one feature (ties broken by example id, so the count is exact).</summary>
static class Quantile
{
    public static Decision[] Decide(IReadOnlyList<ExampleFeatures> features, SelectOptions o)
    {
        if (o.Fraction is < 0 or > 1) throw new ArgumentException($"select: --fraction must be in [0,1], got {o.Fraction}");
        var scores = features.Select(f => FeatureScore.Of(f, o.Feature)).ToArray();
        int take = (int)Math.Ceiling(o.Fraction * features.Count);
        var rank = Enumerable.Range(0, features.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => features[i].ExampleId, StringComparer.Ordinal)
            .Select((index, position) => (index, position))
            .ToDictionary(x => x.index, x => x.position);
        return features.Select((f, i) => new Decision(
            rank[i] < take, scores[i], null,
            string.Create(CultureInfo.InvariantCulture, $"{o.Feature} hardness rank {rank[i] + 1}/{features.Count}, hardest {take} selected")))
            .ToArray();
    }
}
