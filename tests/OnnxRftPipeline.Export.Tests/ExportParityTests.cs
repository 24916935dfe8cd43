using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.TestSupport;
using Xunit.Abstractions;

namespace OnnxRftPipeline.Export.Tests;

public sealed class ExportParityTests(ITestOutputHelper output) : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "export-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    const float Tolerance = 1e-4f;

    /// <summary>What ORT's logits are checked against.</summary>
    public enum Reference
    {
        /// <summary>The Trainer's TorchSharp model loaded from the same checkpoint (the parity).</summary>
        TorchSharp,
        /// <summary>An independent plain-loop forward pass in double (ReferenceLlama): catches a convention both sides might share.</summary>
        Naive,
    }

    /// <summary>How the test carries the cache between steps (see <see cref="OrtDecoderRun"/>).</summary>
    public enum CacheProtocol
    {
        /// <summary>Each step's present is the next past; the first past has length 0.</summary>
        Growing,
        /// <summary>One buffer per layer key/value bound as past and present on every step (genai past_present_share_buffer).</summary>
        Shared,
    }

    [Theory]
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.Standard, false)]   // tied, GQA (2 query heads per KV head)
    [InlineData(Reference.TorchSharp, false, 4, 4, GraphOps.Standard, true)]   // untied, plain multi-head, external data file
    [InlineData(Reference.TorchSharp, false, 1, 4, GraphOps.Standard, false)]  // untied, multi-query
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.Contrib, false)]    // contrib ops variant (head size 8: RotaryEmbedding)
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.Contrib, false, 64)]   // head size 16: GroupQueryAttention rotates
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.Contrib, false, 64, CacheProtocol.Shared)]
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.Contrib, false, 32, CacheProtocol.Shared)]
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.StandardInPlace, false)]
    [InlineData(Reference.TorchSharp, false, 1, 4, GraphOps.StandardInPlace, false, 32, CacheProtocol.Shared)]
    [InlineData(Reference.TorchSharp, true, 2, 4, GraphOps.StandardInPlace, false, 32, CacheProtocol.Shared)]
    [InlineData(Reference.Naive, true, 2, 4, GraphOps.Standard, false)]
    [InlineData(Reference.Naive, false, 4, 4, GraphOps.Standard, true)]
    [InlineData(Reference.Naive, false, 1, 4, GraphOps.Standard, false)]
    [InlineData(Reference.Naive, true, 2, 4, GraphOps.Contrib, false)]
    [InlineData(Reference.Naive, true, 2, 4, GraphOps.Contrib, false, 64, CacheProtocol.Shared)]
    [InlineData(Reference.Naive, true, 2, 4, GraphOps.StandardInPlace, false)]
    [InlineData(Reference.Naive, false, 4, 4, GraphOps.StandardInPlace, true, 32, CacheProtocol.Shared)]
    public void Ort_logits_match_reference_for_padded_prefill_and_three_cached_steps(Reference kind, bool tied, int kvHeads, int heads, GraphOps ops,
        bool external, int hidden = 32, CacheProtocol protocol = CacheProtocol.Growing)
    {
        var config = TinyLlama.Config(tied, kvHeads, heads, hidden, context: 64);
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), config, seed: 7 + kvHeads);
        var result = OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "tiny", "v1"),
            new ExportOptions { Ops = ops, ExternalDataThresholdBytes = external ? 0 : long.MaxValue });
        Assert.Equal(external, result.Files.Contains("model.onnx.data"));

        var folder = ModelFolder.Open(Path.Combine(_root, "models", "tiny"));
        using var torch = kind == Reference.TorchSharp ? new TorchReference(ckpt) : null;
        var naive = new ReferenceLlama(ckpt);
        // Logits at every real position of every row (the whole sequence so far, no cache).
        Func<List<long>[], float[][][]> reference = torch is not null ? rows => torch.Forward(rows) : rows => rows.Select(naive.Forward).ToArray();
        var rng = new Random(11);
        int[] promptLens = [5, 2, 7];
        int B = promptLens.Length, S = promptLens.Max(), V = config.VocabSize;
        var rows = promptLens.Select(n => Enumerable.Range(0, n).Select(_ => (long)rng.Next(0, 256)).ToList()).ToArray();

        // Right-padded prefill; pads get the pad id, mask 0 and an out-of-table position (must be harmless).
        var (ids, pos, mask) = OrtDecoderRun.RightPadded(rows, padPosition: 100_000);
        // The shared buffer has room to spare beyond the prefill and three steps, as a max-length buffer does.
        int capacity = S + 3 + 2;
        using var run = new OrtDecoderRun(folder, B, sharedCapacity: protocol == CacheProtocol.Shared ? capacity : null);
        var logits = run.Step(ids, pos, mask, S);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        double worst = 0;
        var prefillExpected = reference(rows);
        for (int b = 0; b < B; b++)
        {
            var expected = prefillExpected[b];
            for (int s = 0; s < promptLens[b]; s++)
                worst = Math.Max(worst, MaxAbsDiff(expected[s], logits.AsSpan((b * S + s) * V, V)));
        }
        AssertShapes(run, B, config, protocol == CacheProtocol.Shared ? capacity : S);

        for (int step = 0; step < 3; step++)
        {
            var next = new long[B]; var nextPos = new long[B];
            for (int b = 0; b < B; b++)
            {
                next[b] = rng.Next(0, 256);
                nextPos[b] = rows[b].Count;   // the row's next real position, whatever its cache column
                rows[b].Add(next[b]);
            }
            logits = run.Step(next, nextPos, Enumerable.Repeat(1L, B).ToArray(), 1);
            var expected = reference(rows);
            for (int b = 0; b < B; b++)
                worst = Math.Max(worst, MaxAbsDiff(expected[b][^1], logits.AsSpan(b * V, V)));
            AssertShapes(run, B, config, protocol == CacheProtocol.Shared ? capacity : S + step + 1);
        }
        output.WriteLine($"{kind}: max abs logit difference {worst:E3}");
        Assert.True(worst <= Tolerance, $"max abs logit difference {worst:E3} exceeds {Tolerance:E0}");
        // The comparison must be meaningful: logits of a random model differ between tokens.
        Assert.True(logits.Take(V).Max() - logits.Take(V).Min() > 0.5f);
    }

    [Theory]
    [InlineData(GraphOps.Standard)]
    [InlineData(GraphOps.Contrib)]
    [InlineData(GraphOps.StandardInPlace)]
    public void An_all_padding_row_yields_finite_logits_and_leaves_other_rows_exact(GraphOps ops)
    {
        var config = TinyLlama.Config(tied: true, kvHeads: 2, context: 64);
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), config, seed: 3);
        var folder = ModelFolder.Load(OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "t", "v1"), new ExportOptions { Ops = ops }).OutDir);
        long[] row0 = [256, 72, 105, 33];
        int S = row0.Length, V = config.VocabSize;
        var ids = row0.Concat(Enumerable.Repeat((long)ByteTokenizer.Pad, S)).ToArray();
        var pos = new long[] { 0, 1, 2, 3, -5, 0, 999, 3 };
        var mask = new long[] { 1, 1, 1, 1, 0, 0, 0, 0 };
        using var run = new OrtDecoderRun(folder, 2);
        var logits = run.Step(ids, pos, mask, S);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        var expected = new ReferenceLlama(ckpt).Forward(row0);
        for (int s = 0; s < S; s++) Assert.True(MaxAbsDiff(expected[s], logits.AsSpan(s * V, V)) <= Tolerance);
    }

    static void AssertShapes(OrtDecoderRun run, int batch, LlamaConfig c, int total)
    {
        Assert.Equal(2 * c.NumHiddenLayers, run.PresentShapes.Count);
        foreach (var shape in run.PresentShapes)
            Assert.Equal([batch, c.NumKeyValueHeads, total, c.HeadDim], shape);
    }

    static double MaxAbsDiff(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double m = 0;
        for (int i = 0; i < expected.Length; i++) m = Math.Max(m, Math.Abs(expected[i] - actual[i]));
        return m;
    }
}
