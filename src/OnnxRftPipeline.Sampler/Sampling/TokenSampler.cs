namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>
/// Picks the next token from one row of logits: greedy at temperature 0, otherwise temperature,
/// then top-k, then top-p (nucleus) on the tempered distribution. The reported log-probability is the
/// model's own (temperature 1, untruncated), which is what ranks candidates comparably across settings.
/// </summary>
public sealed class TokenSampler
{
    readonly float[] _probs;
    readonly int[] _heap;
    readonly int[] _top;

    public TokenSampler(int vocabSize)
    {
        _probs = new float[vocabSize];
        _heap = new int[vocabSize];
        _top = new int[vocabSize];
    }

    public (int Token, double LogProb) Next(ReadOnlySpan<float> logits, SamplingSettings s, ref SplitMix64 rng)
    {
        int v = logits.Length;
        float max = float.NegativeInfinity;
        int argmax = 0;
        for (int i = 0; i < v; i++) if (logits[i] > max) { max = logits[i]; argmax = i; }
        double logZ = 0;
        for (int i = 0; i < v; i++) logZ += Math.Exp(logits[i] - max);
        logZ = Math.Log(logZ) + max;

        int token = s.Temperature == 0 ? argmax : Sample(logits, max, s, ref rng);
        return (token, logits[token] - logZ);
    }

    /// <summary>
    /// The model's untempered log-probability of <paramref name="token"/>, with the same arithmetic as <see cref="Next"/> (for
    /// an engine that samples elsewhere and reports log-probabilities like this one, e.g. onnxruntime-genai).
    /// </summary>
    public static double LogProb(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++) if (logits[i] > max) max = logits[i];
        double logZ = 0;
        for (int i = 0; i < logits.Length; i++) logZ += Math.Exp(logits[i] - max);
        logZ = Math.Log(logZ) + max;
        return logits[token] - logZ;
    }

    int Sample(ReadOnlySpan<float> logits, float max, SamplingSettings s, ref SplitMix64 rng)
    {
        int v = logits.Length;
        double invT = 1.0 / s.Temperature;
        double total = 0;
        for (int i = 0; i < v; i++) { _probs[i] = (float)Math.Exp((logits[i] - max) * invT); total += _probs[i]; }

        bool truncate = (s.TopK > 0 && s.TopK < v) || s.TopP < 1.0;
        if (!truncate)
        {
            double r0 = rng.NextDouble() * total, acc0 = 0;
            for (int i = 0; i < v; i++) { acc0 += _probs[i]; if (r0 < acc0) return i; }
            return v - 1;
        }

        // The kept tokens in descending probability (ties by token id, so the set is deterministic), taken one at a time
        // off a max-heap until top-k or top-p stops: O(V + kept·log V) per token where a full sort is O(V log V), and a
        // nucleus is usually a handful of tokens out of the whole vocabulary.
        for (int i = 0; i < v; i++) _heap[i] = i;
        for (int i = v / 2 - 1; i >= 0; i--) SiftDown(i, v);
        int limit = s.TopK > 0 ? Math.Min(s.TopK, v) : v, kept = 0, n = v;
        double cum = 0;
        while (kept < limit)
        {
            int next = _heap[0];
            _top[kept++] = next;
            _heap[0] = _heap[--n];
            SiftDown(0, n);
            cum += _probs[next] / total;
            if (s.TopP < 1.0 && cum >= s.TopP) break;
        }
        double keptTotal = 0;
        for (int j = 0; j < kept; j++) keptTotal += _probs[_top[j]];
        double r = rng.NextDouble() * keptTotal, acc = 0;
        for (int j = 0; j < kept; j++) { acc += _probs[_top[j]]; if (r < acc) return _top[j]; }
        return _top[kept - 1];
    }

    /// <summary>Token a comes before b: higher probability, or equal probability and a lower id.</summary>
    bool Before(int a, int b) => _probs[a] > _probs[b] || (_probs[a] == _probs[b] && a < b);

    void SiftDown(int i, int n)
    {
        int item = _heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Before(_heap[child + 1], _heap[child])) child++;
            if (!Before(_heap[child], item)) break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = item;
    }
}
