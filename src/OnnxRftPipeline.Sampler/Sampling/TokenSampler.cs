namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>
/// Picks the next token from one row of logits: greedy at temperature 0, otherwise temperature,
/// then top-k, then top-p (nucleus) on the tempered distribution. The reported log-probability is the
/// model's own (temperature 1, untruncated), which is what ranks candidates comparably across settings.
/// </summary>
public sealed class TokenSampler
{
    readonly float[] _probs;
    readonly int[] _order;
    readonly Comparison<int> _byProbability;

    public TokenSampler(int vocabSize)
    {
        _probs = new float[vocabSize];
        _order = new int[vocabSize];
        // Descending probability, ties by token id, so the kept set is deterministic. Built once: no per-token garbage.
        _byProbability = (a, b) => _probs[b] != _probs[a] ? _probs[b].CompareTo(_probs[a]) : a.CompareTo(b);
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

    int Sample(ReadOnlySpan<float> logits, float max, SamplingSettings s, ref SplitMix64 rng)
    {
        int v = logits.Length;
        double invT = 1.0 / s.Temperature;
        double total = 0;
        for (int i = 0; i < v; i++) { _probs[i] = (float)Math.Exp((logits[i] - max) * invT); total += _probs[i]; }

        int kept = v;
        bool truncate = (s.TopK > 0 && s.TopK < v) || s.TopP < 1.0;
        if (truncate)
        {
            for (int i = 0; i < v; i++) _order[i] = i;
            Array.Sort(_order, _byProbability);
            if (s.TopK > 0) kept = Math.Min(kept, s.TopK);
            if (s.TopP < 1.0)
            {
                double cum = 0;
                for (int j = 0; j < kept; j++)
                {
                    cum += _probs[_order[j]] / total;
                    if (cum >= s.TopP) { kept = j + 1; break; }
                }
            }
            total = 0;
            for (int j = 0; j < kept; j++) total += _probs[_order[j]];
        }

        double r = rng.NextDouble() * total;
        double acc = 0;
        if (truncate)
        {
            for (int j = 0; j < kept; j++) { acc += _probs[_order[j]]; if (r < acc) return _order[j]; }
            return _order[kept - 1];
        }
        for (int i = 0; i < v; i++) { acc += _probs[i]; if (r < acc) return i; }
        return v - 1;
    }
}
