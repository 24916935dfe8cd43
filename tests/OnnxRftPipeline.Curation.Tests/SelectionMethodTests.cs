using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.Selection.Methods;
using static OnnxRftPipeline.Curation.Tests.TrajectoryFeaturesTests;

namespace OnnxRftPipeline.Curation.Tests;

public class SelectionMethodTests
{
    static IReadOnlyList<ExampleFeatures> Features(params (string Id, double[] Loss, double[] Prob)[] xs) =>
        TrajectoryFeatures.Compute(xs.SelectMany(x => Rows(x.Id, x.Loss, x.Prob)));

    static readonly IReadOnlyList<ExampleFeatures> Four = Features(
        ("e1", [1.0, 0.1], [0.4, 0.9]),
        ("e2", [1.0, 0.2], [0.4, 0.8]),
        ("h1", [2.0, 1.5], [0.1, 0.2]),
        ("h2", [2.0, 1.9], [0.1, 0.1]));

    static HashSet<string> Hard(IEnumerable<Contracts.Data.HardnessRow> rows) => rows.Where(r => r.IsHard).Select(r => r.ExampleId).ToHashSet();

    [Fact]
    public void Loss_threshold_marks_final_losses_above_it()
    {
        var rows = HardnessSelector.Select(Four, new SelectOptions { Method = "loss-threshold", Threshold = 1.0 });
        Assert.Equal(["h1", "h2"], Hard(rows).Order());
        Assert.All(rows, r => Assert.Equal(r.FinalLoss, r.Score));
    }

    [Theory]
    [InlineData(0.25, 1)]
    [InlineData(0.5, 2)]
    [InlineData(0.6, 3)]   // ceil(0.6 * 4)
    public void Quantile_selects_exactly_the_hardest_fraction(double fraction, int expected)
    {
        var rows = HardnessSelector.Select(Four, new SelectOptions { Method = "quantile", Fraction = fraction, Feature = "final_loss" });
        var hard = Hard(rows);
        Assert.Equal(expected, hard.Count);
        Assert.Contains("h2", hard);   // the largest final loss is always first
    }

    [Fact]
    public void Quantile_by_confidence_treats_low_confidence_as_hard()
    {
        var rows = HardnessSelector.Select(Four, new SelectOptions { Method = "quantile", Fraction = 0.5, Feature = "confidence" });
        Assert.Equal(["h1", "h2"], Hard(rows).Order());
    }

    [Fact]
    public void Cartography_puts_examples_in_their_regions()
    {
        var f = Features(
            ("easy1", [0.5, 0.1], [0.90, 0.95]),
            ("easy2", [0.5, 0.1], [0.88, 0.94]),
            ("easy3", [0.5, 0.1], [0.91, 0.93]),
            ("stuck", [3.0, 2.9], [0.05, 0.06]),          // low confidence, low variability: hard-to-learn
            ("swing", [2.0, 0.1], [0.10, 0.90]));         // high variability: ambiguous
        var opts = new SelectOptions { Method = "cartography", ConfidenceQuantile = 0.2, VariabilityQuantile = 0.8 };
        var rows = HardnessSelector.Select(f, opts);
        Assert.Equal(["stuck"], Hard(rows));
        Assert.StartsWith("ambiguous", rows.Single(r => r.ExampleId == "swing").Reason);
        var both = HardnessSelector.Select(f, opts with { Regions = ["hard-to-learn", "ambiguous"] });
        Assert.Equal(["stuck", "swing"], Hard(both).Order());
    }

    [Fact]
    public void Unknown_method_feature_and_region_are_named_in_the_error()
    {
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => HardnessSelector.Select(Four, new SelectOptions { Method = "nope" })).Message);
        Assert.Contains("'loss'", Assert.Throws<ArgumentException>(() => HardnessSelector.Select(Four, new SelectOptions { Feature = "loss" })).Message);
        Assert.Contains("'weird'", Assert.Throws<ArgumentException>(() =>
            HardnessSelector.Select(Four, new SelectOptions { Method = "cartography", Regions = ["weird"] })).Message);
    }

    [Fact]
    public void KMeans_recovers_well_separated_blobs()
    {
        var rng = new Random(3);
        var pts = new List<double[]>();
        double[][] centres = [[0, 0], [10, 0], [0, 10]];
        foreach (var c in centres)
            for (int i = 0; i < 15; i++) pts.Add([c[0] + rng.NextDouble(), c[1] + rng.NextDouble()]);
        var a = KMeans.Cluster(pts, 3, seed: 7);
        for (int b = 0; b < 3; b++)
            Assert.Single(a.Skip(b * 15).Take(15).Distinct());   // each blob is one cluster
        Assert.Equal(3, a.Distinct().Count());
        Assert.Equal(a, KMeans.Cluster(pts, 3, seed: 7));      // reproducible for a seed
    }

    [Fact]
    public void S2l_spends_the_budget_evenly_smallest_cluster_first()
    {
        // Three trajectory shapes with cluster sizes 2, 5 and 20.
        var xs = new List<(string, double[], double[])>();
        void Add(string name, int count, double[] loss) { for (int i = 0; i < count; i++) xs.Add(($"{name}{i:D2}", loss.Select(l => l + i * 1e-3).ToArray(), [0.5, 0.5, 0.5])); }
        Add("flat", 2, [3, 3, 3]);
        Add("fast", 5, [3, 0.2, 0.1]);
        Add("slow", 20, [3, 2, 1]);
        var f = Features(xs.ToArray());
        var rows = HardnessSelector.Select(f, new SelectOptions { Method = "s2l", Clusters = 3, Budget = 9, Seed = 5 });
        var hard = Hard(rows);
        Assert.Equal(9, hard.Count);
        Assert.Equal(2, hard.Count(id => id.StartsWith("flat")));   // small cluster taken whole
        Assert.Equal(3, hard.Count(id => id.StartsWith("fast")));   // (9-2)/2 = 3
        Assert.Equal(4, hard.Count(id => id.StartsWith("slow")));   // the rest
        Assert.Equal(3, rows.Select(r => r.Cluster).Distinct().Count());
        var again = HardnessSelector.Select(f, new SelectOptions { Method = "s2l", Clusters = 3, Budget = 9, Seed = 5 });
        Assert.Equal(hard, Hard(again));
    }
}
