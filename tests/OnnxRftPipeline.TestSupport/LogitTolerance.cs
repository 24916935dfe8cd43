using Xunit.Abstractions;

namespace OnnxRftPipeline.TestSupport;

/// <summary>
/// How closely the product's fp32 logits must match transformers' for each Hugging Face fixture, and the argmax / greedy
/// checks that follow from the bound. Shared by the TorchSharp (Trainer.Tests) and ONNX Runtime (Export.Tests) checks.
/// </summary>
public static class LogitTolerance
{
    /// <summary>Allowed max |Δ| over a prompt's logits: <see cref="Absolute"/> + <see cref="RelativeToScale"/> · max |reference logit|.</summary>
    public sealed record Bound(double Absolute, double RelativeToScale, string Why)
    {
        public double Allowed(double scale) => Absolute + RelativeToScale * scale;
        /// <summary>Both sides computed in fp32: greedy tokens must be identical.</summary>
        public bool BothFp32 => RelativeToScale == 0;
    }

    /// <summary>fp32 on both sides (the Mistral reference is fp32 compute of fp16 weights, which convert to fp32 exactly).</summary>
    public static readonly Bound Fp32 = new(1e-4, 0, "fp32 compute on both sides");

    /// <summary>
    /// transformers computed the bf16 fixture in bf16; the product computes in fp32 from the same (exactly converted) weights.
    /// bf16 keeps 8 significant bits: each rounding is off by at most u = 2^-9 relative. On the way from the embeddings to
    /// the logits transformers rounds n ≈ 35 times in sequence (per layer: norm output and its weight product, q/k/v, the
    /// rotary products and sum, attention output, o_proj, residual add, post-norm, gate/up, silu, product, down, residual
    /// add; then the final norm and lm_head), and its rotary inverse frequencies are bf16 too. Relative to the logit scale
    /// that is between √n·u ≈ 0.012 (independent errors) and n·u ≈ 0.068 (all in one direction); the bound takes 0.05.
    /// Measured: 0.036 (0.241 at max |logit| 6.78). A structural error is far outside it: leaving out the llama3 rope scaling
    /// gives up to 3.5. Bf16RoundingTests shows the whole difference is rounding (transformers' bf16 cast points,
    /// reproduced from the product's weights and rope frequencies, give its logits to within one bf16 ulp).
    /// </summary>
    public static readonly Bound Bf16 = new(0, 0.05, "transformers computed in bf16 (8 significant bits), the product in fp32");

    public static Bound For(string fixture) => fixture == HfFixtures.SpmBf16 ? Bf16 : Fp32;

    /// <summary>Max |Δ| over all positions, the bound for this prompt, and the prompt's logit scale (max |reference logit|).</summary>
    public static (double Diff, double Allowed, double Scale) Compare(Bound b, float[][] expected, ReadOnlySpan<float> actualFlat)
    {
        int v = expected[0].Length;
        Assert.Equal(expected.Length * v, actualFlat.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < v; j++)
            {
                diff = Math.Max(diff, Math.Abs(expected[i][j] - actualFlat[i * v + j]));
                scale = Math.Max(scale, Math.Abs(expected[i][j]));
            }
        return (diff, b.Allowed(scale), scale);
    }

    public static (int Top, double Margin) Top(ReadOnlySpan<float> logits)
    {
        int top = 0;
        for (int j = 1; j < logits.Length; j++) if (logits[j] > logits[top]) top = j;
        double second = double.NegativeInfinity;
        for (int j = 0; j < logits.Length; j++) if (j != top) second = Math.Max(second, logits[j]);
        return (top, logits[top] - second);
    }

    /// <summary>
    /// If every logit is within ε of the reference, the two top tokens can only swap when the reference's top-2 margin is
    /// at most 2ε; above that the argmax must agree. Checked at every position (the last one's margin is reference.json's
    /// last_top2_margin). Returns how many positions were checked.
    /// </summary>
    public static int AssertArgmaxWhereMarginExceeds(double allowed, GreedyProbe g, float[][] expected, ReadOnlySpan<float> actualFlat, string what)
    {
        int v = expected[0].Length, checkedPositions = 0;
        var (lastTop, lastMargin) = Top(expected[^1]);
        Assert.True(Math.Abs(lastMargin - g.LastTop2Margin) < 1e-4, $"{what}: last_top2_margin {g.LastTop2Margin} but the logits give {lastMargin}");
        for (int i = 0; i < expected.Length; i++)
        {
            var (te, me) = Top(expected[i]);
            if (me <= 2 * allowed) continue;
            var (ta, _) = Top(actualFlat.Slice(i * v, v));
            Assert.True(te == ta, $"{what} position {i}: argmax {ta}, transformers {te} (margin {me:F4} > 2·{allowed:E2})");
            checkedPositions++;
        }
        return checkedPositions;
    }

    /// <summary>
    /// Greedy tokens against transformers' generated_ids. fp32 on both sides: identical. bf16 reference: the sequences may
    /// part only at a step where the product's own top-2 margin is within 2·bound (a near tie bf16 rounding can flip);
    /// after they part nothing more can be compared. <paramref name="productStep"/>(k) gives the product's top-2 margin and
    /// max |logit| at step k (asked only for the step where the sequences part).
    /// </summary>
    public static void AssertSameGreedy(Bound b, GreedyProbe g, IReadOnlyList<int> generated, Func<int, (double Margin, double Scale)> productStep,
        string what, ITestOutputHelper output)
    {
        int same = 0;
        while (same < Math.Min(generated.Count, g.GeneratedIds.Length) && generated[same] == g.GeneratedIds[same]) same++;
        output.WriteLine($"{what} {System.Text.Json.JsonSerializer.Serialize(g.Prompt)}: {same}/{g.GeneratedIds.Length} greedy tokens as transformers'");
        if (b.BothFp32)
        {
            Assert.Equal(g.GeneratedIds, generated);
            return;
        }
        if (same == g.GeneratedIds.Length && generated.Count == same) return;
        Assert.True(same < generated.Count, $"{what}: stopped after {generated.Count} tokens, transformers generated {g.GeneratedIds.Length}");
        var (margin, scale) = productStep(same);
        double allowed = b.Allowed(scale);
        Assert.True(margin <= 2 * allowed,
            $"{what}: token {same} is {generated[same]}, transformers {g.GeneratedIds[same]}, at a top-2 margin {margin:F4} > 2·{allowed:E2}");
        output.WriteLine($"  parted at step {same} where the fp32 top-2 margin is {margin:F4} (≤ 2·{allowed:E2}: a near tie in bf16)");
    }
}
