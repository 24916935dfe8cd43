using System.Globalization;
using Quickenshtein;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Accepts a candidate only when it is far, in Levenshtein distance, from every text of the reference corpus
/// (<see cref="FilterContext.ReferenceTexts"/>) and from every candidate already kept (<see cref="FilterContext.Kept"/>):
/// distance ≥ min and, with ratio, distance / max(length of the two) ≥ ratio. Needs no reference answer.
/// Spec: <c>novelty:min=D[,ratio=R][,on=whole|final]</c>; on=final compares the texts after the last <c>####</c>
/// (each text read the same way). Distances and lengths count UTF-16 units (what Quickenshtein edits).
/// <para>Score: how far the candidate gets towards the bar, min over texts t of min(d_t / D, (d_t / len_t) / R), capped
/// at 1 (the ratio term only with ratio). 1 means accepted; 0.3 with min=10 alone means the nearest text is 3 edits
/// away. Distances at or above the bar are not computed exactly (see below), so the score tells how close a rejected
/// candidate came, not how novel an accepted one is.</para>
/// <para>The reason names the nearest text's kind (corpus or kept), its index and its distance.</para>
/// </summary>
public sealed class NoveltyFilter : IVerifier
{
    readonly FilterContext context;
    readonly int minDistance;
    readonly double? ratio;
    readonly bool finalOnly;
    readonly Entry[] corpus;
    readonly List<Entry> kept = [];

    sealed record Entry(string Text, TextProfile Profile);

    public NoveltyFilter(FilterContext context, int minDistance, double? ratio = null, bool finalOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minDistance, 1);
        if (ratio is { } r && !(r > 0 && r <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), "ratio must be in (0, 1]");
        this.context = context;
        this.minDistance = minDistance;
        this.ratio = ratio;
        this.finalOnly = finalOnly;
        // Histograms of the corpus once, not per candidate.
        corpus = context.ReferenceTexts.Select(MakeEntry).ToArray();
    }

    public string Spec { get; init; } = "novelty";

    /// <summary>Texts compared so far (corpus + kept, over all candidates).</summary>
    public long Comparisons { get; private set; }

    /// <summary>Of <see cref="Comparisons"/>, how many needed a full Levenshtein distance (the rest were ruled out by the bound).</summary>
    public long DistancesComputed { get; private set; }

    Entry MakeEntry(string text)
    {
        var t = finalOnly ? FinalAnswer.FinalOrWhole(text) : text;
        return new Entry(t, new TextProfile(t));
    }

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        // The kept list only grows (FilterContext is append-only): histogram the new ones.
        for (int i = kept.Count; i < context.Kept.Count; i++) kept.Add(MakeEntry(context.Kept[i].Text));
        var cand = MakeEntry(input.Candidate);

        // Why a bound: a full distance costs O(|a|·|b|) (tens of µs for a few hundred characters), and a corpus of
        // thousands of texts × thousands of candidates would take minutes to hours. We only need exact distances for
        // texts that could be below the bar or nearer than the nearest found so far; lower bounds from lengths and
        // character and bigram counts (TextProfile, O(distinct keys)) rule out the rest, and the result is the same
        // as computing every distance: same verdict, same score, same nearest text (NoveltyPruningTests checks it).
        double best = 1.0;            // smallest term so far, capped at the bar
        string? bestKind = null;
        int bestIndex = -1, bestDistance = 0, bestLength = 0;
        (string Kind, int Index, int Distance, int Length)? nearestChecked = null;
        double nearestCheckedTerm = double.PositiveInfinity;

        void Scan(string kind, IReadOnlyList<Entry> texts)
        {
            for (int i = 0; i < texts.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var t = texts[i];
                Comparisons++;
                // Cheapest bound first: length difference, then characters, then bigrams.
                int len = Math.Max(cand.Profile.Length, t.Profile.Length);
                if (Term(Math.Abs(cand.Profile.Length - t.Profile.Length), len) >= best) continue;
                if (Term(TextProfile.CharBound(cand.Profile, t.Profile), len) >= best) continue;
                if (Term(TextProfile.BigramBound(cand.Profile, t.Profile), len) >= best) continue;
                DistancesComputed++;
                int d = Levenshtein.GetDistance(cand.Text, t.Text);
                double term = Term(d, len);
                if (term < nearestCheckedTerm) { nearestCheckedTerm = term; nearestChecked = (kind, i, d, len); }
                if (term < best) { best = term; bestKind = kind; bestIndex = i; bestDistance = d; bestLength = len; }
            }
        }
        Scan("corpus", corpus);
        Scan("kept", kept);

        VerifierResult r;
        if (bestKind is null)
        {
            var what = $"all {corpus.Length + kept.Count} texts ({corpus.Length} corpus, {kept.Count} kept) are at distance ≥ {minDistance}"
                + (ratio is { } rr ? $" and ratio ≥ {F(rr)}" : "");
            var near = nearestChecked is { } n ? $"; nearest checked: {n.Kind} text {n.Index} at distance {n.Distance}" : "";
            r = VerifierResult.Pass($"novelty: {what}{near}");
        }
        else
        {
            var why = bestDistance < minDistance ? $"< {minDistance}" : $"= {F((double)bestDistance / Math.Max(1, bestLength))} of {bestLength} characters, ratio < {F(ratio ?? 0)}";
            r = new VerifierResult(best, false, $"novelty: nearest is {bestKind} text {bestIndex} at distance {bestDistance} ({why})");
        }
        return ValueTask.FromResult(r.AsLeaf(Spec));
    }

    /// <summary>How far a text at distance d (longer text len) gets towards the bar: 1 or more means far enough.
    /// Monotone in d, so a lower bound on d gives a lower bound on the term. Two empty texts are identical: 0.</summary>
    double Term(int d, int len)
    {
        double t = (double)d / minDistance;
        if (ratio is { } r) t = Math.Min(t, len == 0 ? 0 : (double)d / len / r);
        return t;
    }

    static string F(double x) => x.ToString("0.###", CultureInfo.InvariantCulture);
}
