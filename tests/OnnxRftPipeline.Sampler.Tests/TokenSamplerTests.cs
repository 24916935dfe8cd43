using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

public class TokenSamplerTests
{
    static readonly float[] Logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];

    static double[] Frequencies(SamplingSettings s, int draws = 40000)
    {
        var sampler = new TokenSampler(Logits.Length);
        var rng = new SplitMix64(42);
        var counts = new double[Logits.Length];
        for (int i = 0; i < draws; i++) counts[sampler.Next(Logits, s, ref rng).Token]++;
        return counts.Select(c => c / draws).ToArray();
    }

    [Fact]
    public void Greedy_picks_argmax_and_reports_the_model_logprob()
    {
        var rng = new SplitMix64(1);
        var (token, lp) = new TokenSampler(4).Next(Logits, new SamplingSettings { Temperature = 0 }, ref rng);
        Assert.Equal(0, token);
        Assert.Equal(Math.Log(0.5), lp, 5);
    }

    [Fact]
    public void Temperature_one_reproduces_the_model_distribution()
    {
        var f = Frequencies(new SamplingSettings { Temperature = 1 });
        double[] expected = [0.5, 0.3, 0.15, 0.05];
        for (int i = 0; i < 4; i++) Assert.InRange(f[i], expected[i] - 0.01, expected[i] + 0.01);
    }

    [Fact]
    public void Low_temperature_sharpens_the_distribution()
    {
        var f = Frequencies(new SamplingSettings { Temperature = 0.5 });
        // p^(1/T) normalised: 0.25, 0.09, 0.0225, 0.0025 over 0.365
        Assert.InRange(f[0], 0.685 - 0.01, 0.685 + 0.01);
        Assert.InRange(f[3], 0.0, 0.015);
    }

    [Fact]
    public void Top_k_and_top_p_truncate_then_renormalise()
    {
        var k2 = Frequencies(new SamplingSettings { Temperature = 1, TopK = 2 });
        Assert.Equal(0, k2[2] + k2[3]);
        Assert.InRange(k2[0], 0.625 - 0.01, 0.625 + 0.01);          // 0.5 / 0.8
        var p = Frequencies(new SamplingSettings { Temperature = 1, TopP = 0.85 });   // 0.5+0.3 < 0.85 ≤ 0.95: three tokens kept
        Assert.Equal(0, p[3]);
        Assert.InRange(p[2], 0.158 - 0.01, 0.158 + 0.01);           // 0.15 / 0.95
        var one = Frequencies(new SamplingSettings { Temperature = 5, TopK = 1 }, 1000);
        Assert.Equal(1.0, one[0]);
    }

    /// <summary>
    /// Top-k / top-p by a full sort of the vocabulary (descending probability, ties by token id), then one draw over the kept
    /// tokens in that order (the sampler's implementation before its heap): what the heap must reproduce token for token.
    /// </summary>
    static int ReferenceSample(float[] logits, SamplingSettings s, ref SplitMix64 rng)
    {
        int v = logits.Length;
        float max = logits.Max();
        var probs = logits.Select(l => (float)Math.Exp((l - max) * (1.0 / s.Temperature))).ToArray();
        double total = probs.Sum(p => (double)p);
        // Without truncation the draw walks the vocabulary in id order; with it, in descending probability.
        bool truncate = (s.TopK > 0 && s.TopK < v) || s.TopP < 1.0;
        var order = truncate ? Enumerable.Range(0, v).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray() : Enumerable.Range(0, v).ToArray();
        int kept = s.TopK > 0 ? Math.Min(s.TopK, v) : v;
        double cum = 0;
        for (int j = 0; j < kept && s.TopP < 1.0; j++)
        {
            cum += probs[order[j]] / total;
            if (cum >= s.TopP) { kept = j + 1; break; }
        }
        double keptTotal = 0;
        for (int j = 0; j < kept; j++) keptTotal += probs[order[j]];
        double r = rng.NextDouble() * keptTotal, acc = 0;
        for (int j = 0; j < kept; j++) { acc += probs[order[j]]; if (r < acc) return order[j]; }
        return order[kept - 1];
    }

    [Fact]
    public void Truncated_sampling_draws_exactly_the_token_a_full_sort_would()
    {
        var data = new Random(11);
        for (int trial = 0; trial < 3000; trial++)
        {
            int v = data.Next(1, 300);
            // Logits on a coarse grid make equal probabilities common, so the tie order is exercised too.
            var logits = Enumerable.Range(0, v).Select(_ => (float)(data.Next(-40, 40) / 4.0)).ToArray();
            var s = new SamplingSettings
            {
                Temperature = new[] { 0.3, 0.7, 1.0, 2.0 }[data.Next(4)],
                TopK = new[] { 0, 1, 3, 50, 400 }[data.Next(5)],
                TopP = new[] { 1.0, 0.95, 0.5, 0.01 }[data.Next(4)],
            };
            ulong seed = (ulong)data.NextInt64();
            var a = new SplitMix64(seed);
            var b = new SplitMix64(seed);
            var sampler = new TokenSampler(v);
            for (int draw = 0; draw < 3; draw++)
                Assert.True(ReferenceSample(logits, s, ref b) == sampler.Next(logits, s, ref a).Token, $"trial {trial} draw {draw} v {v} T {s.Temperature} k {s.TopK} p {s.TopP}");
        }
    }

    [Fact]
    public void Same_seed_same_stream_different_seed_different_stream()
    {
        var a = new SplitMix64(CandidateSeeds.Derive(7, "p1", 0));
        var b = new SplitMix64(CandidateSeeds.Derive(7, "p1", 0));
        var c = new SplitMix64(CandidateSeeds.Derive(7, "p1", 1));
        var xa = Enumerable.Range(0, 5).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(xa, Enumerable.Range(0, 5).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(xa, Enumerable.Range(0, 5).Select(_ => c.NextUInt64()).ToArray());
        Assert.NotEqual(CandidateSeeds.Derive(7, "p1", 0), CandidateSeeds.Derive(8, "p1", 0));
    }

    [Fact]
    public void Shards_partition_prompt_ids_evenly()
    {
        var ids = Enumerable.Range(0, 3000).Select(i => $"task-train-{i:D6}").ToArray();
        var counts = new int[4];
        foreach (var id in ids) counts[CandidateSeeds.ShardOf(id, 4)]++;
        Assert.Equal(3000, counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, 650, 850));
        Assert.All(ids, id => Assert.Equal(CandidateSeeds.ShardOf(id, 4), CandidateSeeds.ShardOf(id, 4)));
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        Assert.Contains("--top-p", Assert.Throws<ArgumentException>(() => new SamplingSettings { TopP = 0 }.Validate()).Message);
        Assert.Contains("--temperature", Assert.Throws<ArgumentException>(() => new SamplingSettings { Temperature = -1 }.Validate()).Message);
    }
}
