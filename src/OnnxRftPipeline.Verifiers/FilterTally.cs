namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Counts, over many results of one spec, what each leaf filter did, from <see cref="VerifierResult.Verdicts"/>.
/// Leaves are numbered depth-first in spec order, so two identical leaves (<c>all(length:max=9;length:max=9)</c>) are
/// counted apart. Every leaf is listed from the start, so a filter that never rejects shows 0.
/// </summary>
public sealed class FilterTally
{
    readonly string[] leaves;
    readonly long[] rejected, onlyRejected;

    /// <param name="spec">The spec the results come from (<see cref="IVerifier.Spec"/>).</param>
    public FilterTally(string spec)
    {
        Spec = VerifierSpec.Parse(spec).ToString();
        leaves = LeavesOf(VerifierSpec.Parse(spec)).Select(n => n.ToString()).ToArray();
        rejected = new long[leaves.Length];
        onlyRejected = new long[leaves.Length];
    }

    public string Spec { get; }

    /// <summary>Results added.</summary>
    public long Judged { get; private set; }

    /// <summary>Results the whole spec accepted.</summary>
    public long Accepted { get; private set; }

    /// <summary>
    /// Per leaf, in spec order: <see cref="FilterCount.Rejected"/>, candidates this leaf rejected (whatever the others
    /// and the whole spec said), and <see cref="FilterCount.RemovedOnlyByIt"/>, candidates the whole spec rejected while
    /// this leaf was the only one to reject: dropping this one filter alone from an <c>all(...)</c> would have kept them.
    /// In <c>all(...)</c>, Rejected is also how many candidates the filter removed; in <c>any</c>/<c>mean</c> a leaf's
    /// rejection may not remove anything, which RemovedOnlyByIt (and <see cref="Accepted"/>) tell apart.
    /// </summary>
    public IReadOnlyList<FilterCount> Counts =>
        leaves.Select((s, i) => new FilterCount(i, s, rejected[i], onlyRejected[i])).ToArray();

    /// <summary>Adds one result of <see cref="Spec"/>. A leaf verifier's result may come without verdicts (an outside
    /// <see cref="IVerifier"/>); it then counts as its own one verdict.</summary>
    public void Add(VerifierResult result)
    {
        var verdicts = result.Verdicts.Count == 0 && leaves.Length == 1 ? result.AsLeaf(leaves[0]).Verdicts : result.Verdicts;
        if (verdicts.Count != leaves.Length)
            throw new ArgumentException(
                $"the result has {verdicts.Count} leaf verdicts, but '{Spec}' has {leaves.Length} leaves: it comes from another spec", nameof(result));
        Judged++;
        if (result.Accepted) Accepted++;
        int rejecters = 0, last = -1;
        for (int i = 0; i < verdicts.Count; i++)
            if (!verdicts[i].Accepted) { rejected[i]++; rejecters++; last = i; }
        if (rejecters == 1 && !result.Accepted) onlyRejected[last]++;
    }

    /// <summary>Tallies <paramref name="results"/> of <paramref name="spec"/>.</summary>
    public static FilterTally Of(string spec, IEnumerable<VerifierResult> results)
    {
        var t = new FilterTally(spec);
        foreach (var r in results) t.Add(r);
        return t;
    }

    static IEnumerable<VerifierSpec> LeavesOf(VerifierSpec node) =>
        node.Children.Count == 0 ? [node] : node.Children.SelectMany(LeavesOf);
}

/// <summary>What one leaf filter did over many candidates (see <see cref="FilterTally.Counts"/>).</summary>
/// <param name="Index">The leaf's place, depth-first in spec order, from 0.</param>
/// <param name="Spec">The leaf's canonical spec.</param>
/// <param name="Rejected">Candidates this leaf rejected.</param>
/// <param name="RemovedOnlyByIt">Candidates the whole spec rejected and no other leaf did.</param>
public sealed record FilterCount(int Index, string Spec, long Rejected, long RemovedOnlyByIt);
