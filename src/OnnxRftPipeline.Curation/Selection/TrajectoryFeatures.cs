using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.Selection;

/// <summary>One example's loss trajectory summarised (names follow the hardness schema).</summary>
public sealed record ExampleFeatures(
    string ExampleId, double[] Losses, double[] Probs,
    double FinalLoss, double LossAuc, double RelativeDrop, double Confidence, double Variability);

public static class TrajectoryFeatures
{
    /// <summary>
    /// Groups trajectory rows per example (ordered by epoch, then step) and computes the features.
    /// Every example must have the same number of points, or clustering and AUC would compare unlike things.
    /// </summary>
    public static IReadOnlyList<ExampleFeatures> Compute(IEnumerable<TrajectoryRow> rows)
    {
        var groups = rows.GroupBy(r => r.ExampleId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => r.Epoch).ThenBy(r => r.GlobalStep).ToArray())
            .ToList();
        if (groups.Count == 0) throw new InvalidDataException("trajectories: no rows");
        int points = groups[0].Length;
        var result = new List<ExampleFeatures>(groups.Count);
        foreach (var g in groups)
        {
            if (g.Length != points)
                throw new InvalidDataException(
                    $"trajectories: example '{g[0].ExampleId}' has {g.Length} points, example '{groups[0][0].ExampleId}' has {points}; " +
                    "all examples must be recorded at the same epochs/steps");
            var losses = g.Select(r => r.MeanTokenLoss).ToArray();
            var probs = g.Select(r => r.MeanTokenProb).ToArray();
            foreach (var r in g)
                if (!double.IsFinite(r.MeanTokenLoss) || !double.IsFinite(r.MeanTokenProb))
                    throw new InvalidDataException($"trajectories: example '{r.ExampleId}' epoch {r.Epoch} step {r.GlobalStep} has a non-finite loss or probability");
            double first = losses[0], last = losses[^1];
            double mean = probs.Average();
            double variance = probs.Select(p => (p - mean) * (p - mean)).Average();
            result.Add(new ExampleFeatures(g[0].ExampleId, losses, probs,
                FinalLoss: last,
                LossAuc: Auc(losses),
                RelativeDrop: first > 1e-12 ? (first - last) / first : 0.0,
                Confidence: mean,
                Variability: Math.Sqrt(variance)));
        }
        return result;
    }

    /// <summary>Trapezoidal area under the loss curve over a unit-length axis (so it is a mean loss, comparable across runs).</summary>
    static double Auc(double[] y)
    {
        if (y.Length == 1) return y[0];
        double area = 0;
        for (int i = 1; i < y.Length; i++) area += (y[i - 1] + y[i]) / 2;
        return area / (y.Length - 1);
    }
}
