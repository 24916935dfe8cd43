using System.Globalization;

namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>
/// S2L (Yang et al. 2024): cluster the loss trajectories of a small proxy with k-means, then spend the
/// budget evenly across clusters, smallest cluster first, taking small clusters whole; within a cluster
/// examples are drawn at random (seeded). Trajectories are z-normalised per recorded point so that
/// clustering follows the shape of learning rather than one epoch's scale.
/// </summary>
static class S2l
{
    public static Decision[] Decide(IReadOnlyList<ExampleFeatures> features, SelectOptions o)
    {
        int n = features.Count;
        int budget = o.Budget ?? (int)Math.Ceiling(o.Fraction * n);
        if (budget < 0) throw new ArgumentException($"select: --budget must be >= 0, got {budget}");
        budget = Math.Min(budget, n);
        if (o.Clusters < 1) throw new ArgumentException($"select: --clusters must be >= 1, got {o.Clusters}");

        var points = Normalise(features.Select(f => f.Losses).ToList());
        var cluster = KMeans.Cluster(points, o.Clusters, o.Seed);
        var members = Enumerable.Range(0, n).GroupBy(i => cluster[i])
            .OrderBy(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => (Id: g.Key, Items: g.OrderBy(i => features[i].ExampleId, StringComparer.Ordinal).ToList()))
            .ToList();

        var rng = new Random(o.Seed);
        var selected = new bool[n];
        var taken = new Dictionary<int, int>();
        int remaining = budget;
        for (int c = 0; c < members.Count; c++)
        {
            int share = remaining / (members.Count - c);
            var items = members[c].Items;
            int take = Math.Min(items.Count, share);
            // Partial Fisher-Yates: a seeded uniform sample of `take` members.
            for (int j = 0; j < take; j++)
            {
                int swap = j + rng.Next(items.Count - j);
                (items[j], items[swap]) = (items[swap], items[j]);
                selected[items[j]] = true;
            }
            taken[members[c].Id] = take;
            remaining -= take;
        }
        var sizes = members.ToDictionary(m => m.Id, m => m.Items.Count);
        return features.Select((f, i) => new Decision(selected[i], f.FinalLoss, cluster[i],
            string.Create(CultureInfo.InvariantCulture,
                $"cluster {cluster[i]} (size {sizes[cluster[i]]}, {taken[cluster[i]]} taken), {(selected[i] ? "selected" : "not selected")}; budget {budget}")))
            .ToArray();
    }

    static List<double[]> Normalise(List<double[]> rows)
    {
        int d = rows[0].Length;
        var mean = new double[d];
        var std = new double[d];
        foreach (var r in rows) for (int j = 0; j < d; j++) mean[j] += r[j] / rows.Count;
        foreach (var r in rows) for (int j = 0; j < d; j++) std[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / rows.Count;
        for (int j = 0; j < d; j++) std[j] = Math.Sqrt(std[j]);
        return rows.Select(r => Enumerable.Range(0, d).Select(j => std[j] > 1e-12 ? (r[j] - mean[j]) / std[j] : 0.0).ToArray()).ToList();
    }
}
