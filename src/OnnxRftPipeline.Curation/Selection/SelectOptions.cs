namespace OnnxRftPipeline.Curation.Selection;

/// <summary>Everything `rft select` can be told. Unused fields are ignored by methods that do not need them.</summary>
public sealed record SelectOptions
{
    /// <summary>loss-threshold | quantile | cartography | s2l.</summary>
    public string Method { get; init; } = "quantile";
    /// <summary>loss-threshold: final loss above which an example is hard.</summary>
    public double Threshold { get; init; } = 0.5;
    /// <summary>quantile: the hardest fraction to select; s2l: the budget as a fraction of examples (when Budget is null).</summary>
    public double Fraction { get; init; } = 0.25;
    /// <summary>quantile: final_loss | loss_auc | relative_drop | confidence | variability.</summary>
    public string Feature { get; init; } = "final_loss";
    /// <summary>cartography: confidence below this quantile is "low".</summary>
    public double ConfidenceQuantile { get; init; } = 0.33;
    /// <summary>cartography: variability at or above this quantile is "high" (ambiguous).</summary>
    public double VariabilityQuantile { get; init; } = 0.67;
    /// <summary>cartography: which regions count as hard (hard-to-learn, ambiguous, easy-to-learn).</summary>
    public IReadOnlyList<string> Regions { get; init; } = ["hard-to-learn"];
    /// <summary>s2l: number of k-means clusters (capped at the number of examples).</summary>
    public int Clusters { get; init; } = 10;
    /// <summary>s2l: number of examples to select; null means Fraction × count.</summary>
    public int? Budget { get; init; }
    public int Seed { get; init; } = 1234;
}
