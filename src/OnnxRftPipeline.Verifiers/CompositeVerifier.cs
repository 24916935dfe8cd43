namespace OnnxRftPipeline.Verifiers;

/// <summary>How a composite combines its children.</summary>
public enum CompositeMode
{
    /// <summary>score = min of the children's scores; accepted when every child accepts.</summary>
    All,
    /// <summary>score = max; accepted when any child accepts.</summary>
    Any,
    /// <summary>score = mean; accepted when score ≥ threshold (default 0.5).</summary>
    Mean,
}

/// <summary>
/// Combines several verifiers. Spec: <c>all(A;B;...)</c>, <c>any(A;B;...)</c>, <c>mean(A;B;...)</c>, each with an
/// optional <c>:threshold=T</c>; when a threshold is given, accepted = combined score ≥ T for every mode.
/// Every child runs (no short-circuit) so the reason lists each verdict and <see cref="VerifierResult.Verdicts"/>
/// holds every leaf's, the same leaves in the same order for every candidate.
/// </summary>
public sealed class CompositeVerifier(CompositeMode mode, IReadOnlyList<IVerifier> children, double? threshold = null) : IVerifier
{
    public string Spec { get; init; } = mode.ToString().ToLowerInvariant();

    public async ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        var results = new List<VerifierResult>(children.Count);
        foreach (var c in children) results.Add(await c.VerifyAsync(input, ct));
        double score = mode switch
        {
            CompositeMode.All => results.Min(r => r.Score),
            CompositeMode.Any => results.Max(r => r.Score),
            _ => results.Average(r => r.Score),
        };
        bool accepted = threshold is { } t ? score >= t : mode switch
        {
            CompositeMode.All => results.All(r => r.Accepted),
            CompositeMode.Any => results.Any(r => r.Accepted),
            _ => score >= 0.5,
        };
        var reason = $"{mode.ToString().ToLowerInvariant()}: " + string.Join("; ", results.Select(r => (r.Accepted ? "+" : "-") + r.Reason));
        // Leaves' verdicts, flattened depth-first; a child that reports none (an outside IVerifier) counts as one leaf.
        var verdicts = new List<FilterVerdict>();
        for (int i = 0; i < children.Count; i++) verdicts.AddRange(results[i].AsLeaf(children[i].Spec).Verdicts);
        return new VerifierResult(score, accepted, reason) { Verdicts = verdicts };
    }
}
