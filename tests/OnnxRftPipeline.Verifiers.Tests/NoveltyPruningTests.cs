using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

/// <summary>The novelty filter skips full distances its lower bound rules out; its verdicts must equal computing every one.</summary>
public class NoveltyPruningTests
{
    // Independent of Quickenshtein: the textbook dynamic programme.
    static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    static string Mutate(Random rng, string s, int edits, string alphabet)
    {
        var chars = s.ToList();
        for (int e = 0; e < edits; e++)
        {
            int op = rng.Next(3), at = rng.Next(chars.Count + 1);
            char c = alphabet[rng.Next(alphabet.Length)];
            if (op == 0 || chars.Count == 0) chars.Insert(at, c);
            else if (op == 1) chars.RemoveAt(Math.Min(at, chars.Count - 1));
            else chars[Math.Min(at, chars.Count - 1)] = c;
        }
        return new string(chars.ToArray());
    }

    [Theory]
    [InlineData("novelty:min=6", "ACDEFGHIKLMNPQRSTVWY")]
    [InlineData("novelty:min=3,ratio=0.3", "ACDEFGHIKLMNPQRSTVWY")]
    [InlineData("novelty:min=10", "ACGT")]
    [InlineData("novelty:min=2,ratio=0.5", "ACGT")]
    public async Task Verdicts_equal_brute_force_over_every_text(string spec, string alphabet)
    {
        var rng = new Random(17);
        string Random(int n) => new(Enumerable.Range(0, n).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
        var corpus = Enumerable.Range(0, 150).Select(_ => Random(rng.Next(10, 60))).ToList();
        // Candidates: near copies of corpus texts (some edits), near copies of earlier candidates, and fresh ones.
        var cands = new List<string>();
        for (int i = 0; i < 150; i++)
            cands.Add(rng.Next(3) switch
            {
                0 => Mutate(rng, corpus[rng.Next(corpus.Count)], rng.Next(0, 12), alphabet),
                1 when cands.Count > 0 => Mutate(rng, cands[rng.Next(cands.Count)], rng.Next(0, 12), alphabet),
                _ => Random(rng.Next(10, 60)),
            });
        var o = VerifierSpec.Parse(spec).Options.ToDictionary(k => k.Key, k => k.Value);
        int min = int.Parse(o["min"]);
        double? ratio = o.TryGetValue("ratio", out var rs) ? double.Parse(rs, System.Globalization.CultureInfo.InvariantCulture) : null;

        var ctx = new FilterContext(corpus);
        var v = (NoveltyFilter)VerifierFactory.Create(spec, ctx);
        var kept = new List<string>();
        int accepted = 0;
        foreach (var c in cands)
        {
            double best = double.PositiveInfinity;
            foreach (var t in corpus.Concat(kept))
            {
                int d = Levenshtein(c, t), len = Math.Max(c.Length, t.Length);
                double term = (double)d / min;
                if (ratio is { } r) term = Math.Min(term, len == 0 ? 0 : (double)d / len / r);
                best = Math.Min(best, term);
            }
            bool wantAccepted = best >= 1;
            var got = await v.VerifyAsync(new VerifyInput("P", c, null));
            Assert.Equal(wantAccepted, got.Accepted);
            Assert.Equal(Math.Min(1, best), got.Score, 12);
            if (got.Accepted) { ctx.Keep("P", c); kept.Add(c); accepted++; }
        }
        // Both outcomes happen, and the bound saved work (else this test proves nothing about pruning).
        Assert.InRange(accepted, 1, cands.Count - 1);
        Assert.True(v.DistancesComputed < v.Comparisons / 2, $"{v.DistancesComputed} of {v.Comparisons} distances computed");
    }
}
