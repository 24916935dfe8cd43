using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.TestSupport;
using Xunit.Abstractions;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// Checkpoints transformers wrote, exported by <see cref="OnnxExporter"/> and run by ONNX Runtime: the prefill logits against
/// transformers' (bounds: <see cref="LogitTolerance"/>), and the sampler's <see cref="Generator"/> at temperature 0 against
/// transformers' greedy tokens. Standard ops for every fixture, contrib ops (RMSNorm, GroupQueryAttention with its rotary,
/// head sizes 16 and 32) and the in-place standard graph as well.
/// </summary>
public sealed class HfExportParityTests(ITestOutputHelper output) : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("rft-hf-export-").FullName;
    public void Dispose() { try { Directory.Delete(_root, recursive: true); } catch (IOException) { } }

    public static TheoryData<string, GraphOps> Cases()
    {
        var data = new TheoryData<string, GraphOps>();
        foreach (var name in HfFixtures.All)
            foreach (var ops in new[] { GraphOps.Standard, GraphOps.Contrib, GraphOps.StandardInPlace })
                data.Add(name, ops);
        return data;
    }

    ModelFolder Export(string name, GraphOps ops)
    {
        var outDir = Path.Combine(_root, "models", name, "v1");
        OnnxExporter.Export(HfFixtures.Dir(name), outDir, new ExportOptions { Ops = ops });
        return ModelFolder.Open(outDir);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Prefill_logits_through_onnx_runtime_match_transformers(string name, GraphOps ops)
    {
        var r = HfFixtures.Reference(name);
        var folder = Export(name, ops);
        var bound = LogitTolerance.For(name);
        double worst = 0;
        for (int i = 0; i < r.Greedy.Count; i++)
        {
            var expected = r.Logits(i);
            var logits = Prefill(folder, r.Greedy[i].InputIds);
            var (diff, allowed, scale) = LogitTolerance.Compare(bound, expected, logits);
            output.WriteLine($"{name} {ops} p{i}: max |Δ| {diff:E3} (max |logit| {scale:F3}, allowed {allowed:E3})");
            worst = Math.Max(worst, diff);
            Assert.True(diff <= allowed, $"{name} {ops} p{i}: max abs logit difference {diff:E3} exceeds {allowed:E3} ({bound.Why})");
            LogitTolerance.AssertArgmaxWhereMarginExceeds(allowed, r.Greedy[i], expected, logits, $"{name} {ops} p{i}");
        }
        output.WriteLine($"{name} {ops}: worst max |Δ| {worst:E3}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Sampler_greedy_generation_gives_transformers_tokens(string name, GraphOps ops)
    {
        var r = HfFixtures.Reference(name);
        var folder = Export(name, ops);
        var tok = folder.Tokenizer;
        using var decoder = OnnxDecoder.Open(folder, threads: 1, spinWait: false);
        var generator = new Generator(decoder, tok, new GeneratorOptions { ContextLength = folder.Config.Model.ContextLength });
        // All prompts in one batch (right-padded with the checkpoint's pad id), each for as many tokens as transformers generated.
        int steps = r.Greedy.Max(g => g.GeneratedIds.Length);
        Assert.All(r.Greedy, g => Assert.Equal(steps, g.GeneratedIds.Length));
        var requests = r.Greedy.Select((g, i) => new PromptRequest($"p{i}", g.InputIds, 1)).ToList();
        var results = generator.Generate(requests, new SamplingSettings { Temperature = 0, MaxNewTokens = steps }).ToDictionary(x => x.PromptId);

        var bound = LogitTolerance.For(name);
        for (int i = 0; i < r.Greedy.Count; i++)
        {
            var g = r.Greedy[i];
            var gen = results[$"p{i}"];
            // Generation.Tokens leaves out the eos that finished a row; transformers' generated_ids keeps it.
            var generated = gen.Tokens.ToList();
            if (gen.FinishReason == "eos") generated.Add(tok.EosId);
            else Assert.Equal("length", gen.FinishReason);
            Assert.Equal(generated.Count, gen.SampledTokens);
            LogitTolerance.AssertSameGreedy(bound, g, generated, k =>
            {
                // Where a bf16 comparison parts: the exported model's own margin at that step, from a prefill of the prefix.
                var logits = Prefill(folder, [.. g.InputIds, .. generated.Take(k)]);
                var last = logits.AsSpan(logits.Length - r.Vocab, r.Vocab);
                return (LogitTolerance.Top(last).Margin, last.ToArray().Max(Math.Abs));
            }, $"{name} {ops} p{i}", output);
        }
    }

    /// <summary>One unpadded row through the exported graph with an empty past: logits [T·V].</summary>
    static float[] Prefill(ModelFolder folder, int[] ids)
    {
        using var run = new OrtDecoderRun(folder, batch: 1);
        var longs = ids.Select(x => (long)x).ToArray();
        return run.Step(longs, Enumerable.Range(0, ids.Length).Select(x => (long)x).ToArray(), Enumerable.Repeat(1L, ids.Length).ToArray(), ids.Length);
    }
}
