namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// A text's UTF-16 character histogram, sorted by character, for a cheap lower bound on the Levenshtein distance.
/// </summary>
internal sealed class CharCounts
{
    readonly char[] keys;
    readonly int[] counts;

    public CharCounts(string text)
    {
        Length = text.Length;
        var sorted = text.ToCharArray();
        Array.Sort(sorted);
        var k = new List<char>();
        var c = new List<int>();
        foreach (var ch in sorted)
        {
            if (k.Count > 0 && k[^1] == ch) c[^1]++;
            else { k.Add(ch); c.Add(1); }
        }
        keys = k.ToArray();
        counts = c.ToArray();
    }

    public int Length { get; }

    /// <summary>
    /// A lower bound on Levenshtein(a, b): max(P, N), where P sums how many more of each character a has than b and
    /// N how many fewer. One substitution lowers P and N by at most 1 each, an insertion or deletion lowers one of
    /// them by at most 1, and turning a into b needs both at 0, so at least max(P, N) edits. It is never below the
    /// length difference (P − N = |a| − |b|).
    /// </summary>
    public static int LowerBound(CharCounts a, CharCounts b)
    {
        int i = 0, j = 0, p = 0, n = 0;
        while (i < a.keys.Length && j < b.keys.Length)
        {
            if (a.keys[i] == b.keys[j])
            {
                int d = a.counts[i++] - b.counts[j++];
                if (d > 0) p += d; else n -= d;
            }
            else if (a.keys[i] < b.keys[j]) p += a.counts[i++];
            else n += b.counts[j++];
        }
        while (i < a.keys.Length) p += a.counts[i++];
        while (j < b.keys.Length) n += b.counts[j++];
        return Math.Max(p, n);
    }
}
