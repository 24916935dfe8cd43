namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// A text's UTF-16 character and bigram histograms, sorted, for cheap lower bounds on the Levenshtein distance
/// (each a merge over the distinct keys, against O(|a|·|b|) for the distance itself).
/// </summary>
internal sealed class TextProfile
{
    readonly uint[] charKeys, bigramKeys;
    readonly int[] charCounts, bigramCounts;

    public TextProfile(string text)
    {
        Length = text.Length;
        (charKeys, charCounts) = Histogram(text.Select(c => (uint)c));
        (bigramKeys, bigramCounts) = Histogram(Enumerable.Range(0, Math.Max(0, text.Length - 1)).Select(i => (uint)text[i] << 16 | text[i + 1]));
    }

    public int Length { get; }

    static (uint[], int[]) Histogram(IEnumerable<uint> items)
    {
        var sorted = items.ToArray();
        Array.Sort(sorted);
        var k = new List<uint>();
        var c = new List<int>();
        foreach (var x in sorted)
        {
            if (k.Count > 0 && k[^1] == x) c[^1]++;
            else { k.Add(x); c.Add(1); }
        }
        return (k.ToArray(), c.ToArray());
    }

    /// <summary>
    /// Character bound: max(P, N), where P sums how many more of each character a has than b and N how many fewer.
    /// One substitution lowers P and N by at most 1 each, an insertion or deletion lowers one of them by at most 1,
    /// and turning a into b needs both at 0, so at least max(P, N) edits. Never below the length difference
    /// (P − N = |a| − |b|).
    /// </summary>
    public static int CharBound(TextProfile a, TextProfile b)
    {
        var (p, n) = Diff(a.charKeys, a.charCounts, b.charKeys, b.charCounts);
        return Math.Max(p, n);
    }

    /// <summary>
    /// Bigram bound (Ukkonen's q-gram bound, q = 2): one edit removes at most 2 of a text's bigrams and adds at most 2,
    /// so it changes the L1 distance between the two bigram histograms by at most 4: at least ⌈L1 / 4⌉ edits. Tighter
    /// than the character bound when texts share an alphabet but not its order (random protein sequences), which is
    /// where the character bound fails to rule texts out.
    /// </summary>
    public static int BigramBound(TextProfile a, TextProfile b)
    {
        var (p, n) = Diff(a.bigramKeys, a.bigramCounts, b.bigramKeys, b.bigramCounts);
        return (p + n + 3) / 4;
    }

    static (int P, int N) Diff(uint[] ak, int[] ac, uint[] bk, int[] bc)
    {
        int i = 0, j = 0, p = 0, n = 0;
        while (i < ak.Length && j < bk.Length)
        {
            if (ak[i] == bk[j])
            {
                int d = ac[i++] - bc[j++];
                if (d > 0) p += d; else n -= d;
            }
            else if (ak[i] < bk[j]) p += ac[i++];
            else n += bc[j++];
        }
        while (i < ak.Length) p += ac[i++];
        while (j < bk.Length) n += bc[j++];
        return (p, n);
    }
}
