using OnnxRftPipeline.TestSupport;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Tests;

/// <summary>
/// The trainer's TorchSharp model loaded from checkpoints transformers wrote (<see cref="Checkpoint.Load"/>: Llama with
/// byte-level and Metaspace tokenizers, bf16 shards and llama3 rope, Qwen2 with biases, tied head and linear rope, Mistral
/// with head_dim 32 in fp16 shards) against the logits and greedy continuations transformers computed from them.
/// Bounds: <see cref="LogitTolerance"/>.
/// </summary>
public sealed class HfCheckpointParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> All => new() { HfFixtures.ByteLevel, HfFixtures.SpmBf16, HfFixtures.Qwen2, HfFixtures.Mistral };

    [Theory, MemberData(nameof(All))]
    public void Full_forward_logits_match_transformers(string name)
    {
        var r = HfFixtures.Reference(name);
        var (model, _) = Checkpoint.Load(r.Dir);
        using var _m = model;
        model.eval();
        var bound = LogitTolerance.For(name);
        double worst = 0;
        int argmaxChecked = 0, positions = 0;
        for (int i = 0; i < r.Greedy.Count; i++)
        {
            var expected = r.Logits(i);
            var actual = Forward(model, r.Greedy[i].InputIds);
            var (diff, allowed, scale) = LogitTolerance.Compare(bound, expected, actual);
            output.WriteLine($"{name} p{i}: max |Δ| {diff:E3} (max |logit| {scale:F3}, allowed {allowed:E3})");
            worst = Math.Max(worst, diff);
            Assert.True(diff <= allowed, $"{name} p{i}: max abs logit difference {diff:E3} exceeds {allowed:E3} ({bound.Why})");
            argmaxChecked += LogitTolerance.AssertArgmaxWhereMarginExceeds(allowed, r.Greedy[i], expected, actual, $"{name} p{i}");
            positions += expected.Length;
        }
        output.WriteLine($"{name}: worst max |Δ| {worst:E3}; argmax agrees at all {argmaxChecked} of {positions} positions whose margin exceeds 2·bound");
        // The argmax check must mean something: fp32 compares every position; for bf16 the 2·bound threshold leaves a few.
        Assert.True(argmaxChecked >= (bound.BothFp32 ? positions : 1), $"{name}: argmax checked at only {argmaxChecked} of {positions} positions");
    }

    [Theory, MemberData(nameof(All))]
    public void Greedy_decoding_gives_transformers_tokens(string name)
    {
        var r = HfFixtures.Reference(name);
        var (model, tok) = Checkpoint.Load(r.Dir);
        using var _m = model;
        model.eval();
        foreach (var g in r.Greedy)
        {
            // The whole sequence again every step, stopping at any eos as transformers' generate does.
            var seq = g.InputIds.ToList();
            List<double> margins = [], scales = [];
            for (int step = 0; step < g.GeneratedIds.Length; step++)
            {
                var logits = Forward(model, seq);
                var last = logits.AsSpan(logits.Length - r.Vocab, r.Vocab);
                var (top, margin) = LogitTolerance.Top(last);
                margins.Add(margin);
                scales.Add(last.ToArray().Max(Math.Abs));
                seq.Add(top);
                if (tok.StopIds.Contains(top)) break;
            }
            LogitTolerance.AssertSameGreedy(LogitTolerance.For(name), g, seq.Skip(g.InputIds.Length).ToList(), k => (margins[k], scales[k]), name, output);
        }
    }

    /// <summary>Logits [T·V] of one unpadded row.</summary>
    static float[] Forward(LlamaForCausalLM model, IReadOnlyList<int> ids)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.forward(tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, ids.Count }));
        return logits.contiguous().data<float>().ToArray();
    }
}
