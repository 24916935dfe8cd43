using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection.Methods;

namespace OnnxRftPipeline.Curation.Selection;

/// <summary>Turns per-example trajectory features into hardness rows with one of the selection methods.</summary>
public static class HardnessSelector
{
    public static readonly string[] Methods = ["loss-threshold", "quantile", "cartography", "s2l"];

    public static IReadOnlyList<HardnessRow> Select(IReadOnlyList<ExampleFeatures> features, SelectOptions options)
    {
        if (features.Count == 0) throw new ArgumentException("select: no examples to select from");
        var decisions = options.Method switch
        {
            "loss-threshold" => LossThreshold.Decide(features, options),
            "quantile" => Quantile.Decide(features, options),
            "cartography" => Cartography.Decide(features, options),
            "s2l" => S2l.Decide(features, options),
            _ => throw new ArgumentException($"select: unknown method '{options.Method}' (known: {string.Join(", ", Methods)})"),
        };
        return features.Select((f, i) => new HardnessRow
        {
            ExampleId = f.ExampleId,
            FinalLoss = f.FinalLoss,
            LossAuc = f.LossAuc,
            RelativeDrop = f.RelativeDrop,
            Confidence = f.Confidence,
            Variability = f.Variability,
            Score = decisions[i].Score,
            IsHard = decisions[i].IsHard,
            Cluster = decisions[i].Cluster,
            Method = options.Method,
            Reason = decisions[i].Reason,
        }).ToList();
    }
}

/// <summary>A method's verdict on one example, aligned with the features list.</summary>
public readonly record struct Decision(bool IsHard, double Score, int? Cluster, string Reason);
