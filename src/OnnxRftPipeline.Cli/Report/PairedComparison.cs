using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>
/// Two models' greedy results on the same eval prompts, compared prompt by prompt: Fixed counts prompts the arm gets
/// right and the baseline wrong, Broken the reverse. Two accuracies alone cannot say whether a few points are a real
/// difference; the prompts where the models disagree can. PValue is the exact two-sided sign test on them (McNemar's
/// exact test): the chance of a split at least this uneven if either model were as likely as the other to win a prompt.
/// </summary>
public sealed record PairedComparison(int Items, int Fixed, int Broken, double PValue)
{
    /// <summary>Pairs greedy (k = 1) rows by example id; both runs must cover the same prompts.</summary>
    public static PairedComparison Compare(IReadOnlyList<EvalResultRow> baseline, IReadOnlyList<EvalResultRow> arm, string baselineName, string armName)
    {
        var b = Greedy(baseline, baselineName);
        var a = Greedy(arm, armName);
        if (b.Keys.FirstOrDefault(id => !a.ContainsKey(id)) is { } missing)
            throw new InvalidDataException($"{armName}: eval results have no row for example '{missing}' that {baselineName} has; a paired comparison needs the same prompts");
        if (a.Count != b.Count)
            throw new InvalidDataException($"{armName}: eval results cover {a.Count} prompts, {baselineName} {b.Count}; a paired comparison needs the same prompts");
        int fixedCount = b.Count(kv => !kv.Value && a[kv.Key]), broken = b.Count(kv => kv.Value && !a[kv.Key]);
        return new PairedComparison(b.Count, fixedCount, broken, SignTest(fixedCount, broken));
    }

    static Dictionary<string, bool> Greedy(IReadOnlyList<EvalResultRow> rows, string name)
    {
        var byId = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var r in rows.Where(r => r.K == 1))
            if (!byId.TryAdd(r.ExampleId, r.Correct))
                throw new InvalidDataException($"{name}: eval results have two greedy rows for example '{r.ExampleId}'");
        return byId;
    }

    /// <summary>
    /// Two-sided exact binomial test of <paramref name="x"/> successes against <paramref name="y"/> at p = 1/2:
    /// 2 · P(X ≤ min(x, y)), X ~ Binomial(x + y, 1/2), capped at 1. Hand-written (no statistics package here); the terms
    /// are summed in log space, so thousands of disagreements neither overflow nor underflow.
    /// </summary>
    public static double SignTest(int x, int y)
    {
        if (x < 0 || y < 0) throw new ArgumentOutOfRangeException(nameof(x), "counts must be non-negative");
        int n = x + y, k = Math.Min(x, y);
        if (n == 0) return 1.0;
        double logHalfN = n * Math.Log(0.5), logChoose = 0, tail = 0;   // logChoose = log C(n, i)
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logChoose += Math.Log(n - i + 1) - Math.Log(i);
            tail += Math.Exp(logChoose + logHalfN);
        }
        return Math.Min(1.0, 2 * tail);
    }
}
