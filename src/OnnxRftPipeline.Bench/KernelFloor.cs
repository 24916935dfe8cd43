using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Export.Onnx;
using static OnnxRftPipeline.Export.OnnxGraphBuilder;
using DT = OnnxRftPipeline.Export.Onnx.TensorProto.Types.DataType;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// A lower bound on a decode's time from ONNX Runtime's own kernels, measured in the same run as the decode rates: a
/// graph holding only the work no decoder can skip, run through the same session options. Per layer the fused Q|K|V
/// projection, attention over the cache, o_proj, the fused gate|up projection, SiLU(gate)·up, down_proj, and two residual
/// adds with their RMSNorms (ORT's fused SkipSimplifiedLayerNormalization); then the final RMSNorm and the output head.
/// Attention is timed the two ways our exports compute it and the faster kept per cache length: GroupQueryAttention (ORT's
/// fused CPU kernel for cached decoding, with rotary and the in-place cache append) and plain ops (MatMul with the keys
/// transposed, Softmax, MatMul; no rotary, no append, no mask). Everything else a real step runs (the gate|up split, mask
/// processing, the embedding lookup, the engine's loop) is left out, and most nodes read graph inputs instead of each
/// other's outputs, so no decoder graph of this model built from these kernels decodes faster on this runtime and machine.
/// Hand-written here because it measures the runtime, not our export: the exporter's graphs have all the left-out work.
/// </summary>
static class KernelFloor
{
    /// <summary>
    /// Seconds for the decode steps of <paramref name="newTokens"/> − 1 tokens after a <paramref name="promptLen"/>-token prompt
    /// at <paramref name="batch"/> rows (the step that attends over c positions, c = promptLen + 1 … promptLen + newTokens − 1),
    /// from timings at <paramref name="points"/> cache lengths, linear in between.
    /// </summary>
    public static (double Seconds, int FusedFaster, int Points) DecodeSeconds(LlamaConfig c, WeightQuantization q, int batch, int promptLen,
        int newTokens, int threads, bool spin, int points = 9)
    {
        int first = promptLen + 1, last = promptLen + newTokens - 1;
        var contexts = Enumerable.Range(0, points).Select(i => first + (int)Math.Round((double)(last - first) * i / (points - 1))).Distinct().ToArray();
        using var fused = Session(c, q, threads, spin, plainAttention: false);
        using var plain = Session(c, q, threads, spin, plainAttention: true);
        var both = contexts.Select(ctx => (Fused: StepSeconds(fused, c, batch, ctx), Plain: StepSeconds(plain, c, batch, ctx))).ToArray();
        var step = both.Select(x => Math.Min(x.Fused, x.Plain)).ToArray();
        double sum = 0;
        for (int ctx = first; ctx <= last; ctx++)
        {
            int j = Math.Max(0, Array.FindLastIndex(contexts, x => x <= ctx));
            if (j == contexts.Length - 1) { sum += step[j]; continue; }
            double f = (double)(ctx - contexts[j]) / (contexts[j + 1] - contexts[j]);
            sum += step[j] + f * (step[j + 1] - step[j]);
        }
        return (sum, both.Count(x => x.Fused <= x.Plain), contexts.Length);
    }

    static InferenceSession Session(LlamaConfig c, WeightQuantization quantize, int threads, bool spin, bool plainAttention)
    {
        int h = c.HiddenSize, nH = c.NumAttentionHeads, kvH = c.NumKeyValueHeads, d = c.HeadDim, inter = c.IntermediateSize, v = c.VocabSize;
        int qkvWidth = (nH + 2 * kvH) * d;
        var g = new OnnxGraphBuilder();
        g.Input(Value("h", DT.Float, "batch", 1, h));           // a normed hidden state: input of Q|K|V, gate|up and the head
        g.Input(Value("act", DT.Float, "batch", 1, inter));     // the SiLU·up product: input of down_proj
        g.Input(Value("residual", DT.Float, "batch", 1, h));    // the residual stream
        g.Input(Value("gate", DT.Float, "batch", 1, inter));    // gate and up halves of the gate|up projection
        g.Input(Value("up", DT.Float, "batch", 1, inter));
        if (plainAttention)
        {
            g.Input(Value("q", DT.Float, "batch", kvH, nH / kvH, d));   // queries grouped by their key/value head
            g.Input(Value("ctx", DT.Float, "batch", 1, nH * d));        // attention's output, merged: input of o_proj
        }
        else
        {
            g.Input(Value("seqlens_k", DT.Int32, "batch"));
            g.Input(Value("total_sequence_length", DT.Int32, 1));
        }
        var rng = new Random(5);
        float[] Random(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        var gamma = g.Initializer("norm_weight", [h], Random(h, 1));
        string Project(string input, int inDim, int outDim, string output) =>
            LlamaGraph.Projection(g, input, g.Fresh("w"), Random(inDim * outDim, 1.0 / Math.Sqrt(inDim)), inDim, outDim, quantize, output);
        int maxPos = c.MaxPositionEmbeddings;
        var cos = g.Initializer("cos", [maxPos, d / 2], Random(maxPos * d / 2, 1));
        var sin = g.Initializer("sin", [maxPos, d / 2], Random(maxPos * d / 2, 1));
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            foreach (var kv in new[] { "key", "value" })
            {
                g.Input(Value($"past.{l}.{kv}", DT.Float, "batch", kvH, "capacity", d));
                if (!plainAttention) g.Output(Value($"present.{l}.{kv}", DT.Float, "batch", kvH, "capacity", d));
            }
            var qkv = Project("h", h, qkvWidth, $"qkv.{l}");
            string attn;
            if (plainAttention)
            {
                // The projection's output feeds nothing here (q stands in for it), so it is a graph output: ORT keeps the node.
                g.Output(Value(qkv, DT.Float, "batch", 1, qkvWidth));
                var scores = g.Op("MatMul", ["q", g.Op("Transpose", [$"past.{l}.key"], attrs: AttrInts("perm", 0, 1, 3, 2))]);
                g.Op("MatMul", [g.Op("Softmax", [scores], attrs: Attr("axis", -1L)), $"past.{l}.value"], $"attn_heads.{l}");
                g.Output(Value($"attn_heads.{l}", DT.Float, "batch", kvH, nH / kvH, d));
                attn = "ctx";
            }
            else
                attn = g.OpMulti("GroupQueryAttention", [qkv, "", "", $"past.{l}.key", $"past.{l}.value", "seqlens_k", "total_sequence_length", cos, sin],
                    [$"attn.{l}", $"present.{l}.key", $"present.{l}.value"], MicrosoftDomain,
                    Attr("num_heads", (long)nH), Attr("kv_num_heads", (long)kvH), Attr("do_rotary", 1L))[0];
            foreach (var (input, inDim, outDim, name) in new[] { (attn, nH * d, h, "o"), ("h", h, 2 * inter, "gate_up"), ("act", inter, h, "down") })
            {
                Project(input, inDim, outDim, $"{name}.{l}");
                g.Output(Value($"{name}.{l}", DT.Float, "batch", 1, outDim));
            }
            // SiLU(gate)·up as the exported graph runs it (ORT fuses x·Sigmoid(x) into QuickGelu with alpha 1).
            g.Op("Mul", [g.Op("QuickGelu", ["gate"], domain: MicrosoftDomain, attrs: Attr("alpha", 1f)), "up"], $"swiglu.{l}");
            g.Output(Value($"swiglu.{l}", DT.Float, "batch", 1, inter));
            foreach (var after in new[] { "attn", "mlp" })
            {
                string normed = $"norm_{after}.{l}", sum = $"residual_{after}.{l}";
                g.OpMulti("SkipSimplifiedLayerNormalization", ["residual", "h", gamma], [normed, "", "", sum], MicrosoftDomain, Attr("epsilon", 1e-5f));
                g.Output(Value(normed, DT.Float, "batch", 1, h));
                g.Output(Value(sum, DT.Float, "batch", 1, h));
            }
        }
        g.Op("SimplifiedLayerNormalization", ["residual", gamma], "final_norm", attrs: [Attr("axis", -1L), Attr("epsilon", 1e-5f), Attr("stash_type", 1L)]);
        g.Output(Value("final_norm", DT.Float, "batch", 1, h));
        Project("h", h, v, "logits");
        g.Output(Value("logits", DT.Float, "batch", 1, v));
        var model = new ModelProto { IrVersion = LlamaGraph.IrVersion, Graph = g.Build() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = LlamaGraph.Opset });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        // The decoder's session options (OnnxDecoder), so the floor runs the kernels the decoder runs.
        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads, InterOpNumThreads = 1,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        return new InferenceSession(model.ToByteArray(), so);
    }

    /// <summary>Median seconds of one run at <paramref name="batch"/> rows whose step attends over <paramref name="context"/> cache positions.</summary>
    static double StepSeconds(InferenceSession session, LlamaConfig c, int batch, int context)
    {
        int kvH = c.NumKeyValueHeads, d = c.HeadDim;
        var owned = new List<OrtValue>();
        OrtValue Tensor<T>(T[] data, params long[] shape) where T : unmanaged
        {
            var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            owned.Add(value);
            return value;
        }
        try
        {
            using var binding = session.CreateIoBinding();
            var rng = new Random(7);
            // Shapes from the graph's metadata, its one symbolic dimension ("batch") set to the batch.
            long[] Shape(NodeMetadata m) => m.Dimensions.Select(x => x < 0 ? (long)batch : x).ToArray();
            float[] Floats(long[] shape) => Enumerable.Range(0, (int)shape.Aggregate(1L, (x, y) => x * y)).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var caches = new Dictionary<string, OrtValue>();
            foreach (var (name, meta) in session.InputMetadata)
            {
                if (name.StartsWith("past.", StringComparison.Ordinal))
                {
                    // One buffer as past and present, as the engine binds it; random values, since attention reads them all.
                    long[] shape = [batch, kvH, context, d];
                    binding.BindInput(name, caches[name] = Tensor(Floats(shape), shape));
                }
                // Every row has context − 1 cached positions and appends one: GroupQueryAttention's decode protocol.
                else if (name == "seqlens_k") binding.BindInput(name, Tensor(Enumerable.Repeat(context - 1, batch).ToArray(), batch));
                else if (name == "total_sequence_length") binding.BindInput(name, Tensor([context], 1));
                else binding.BindInput(name, Tensor(Floats(Shape(meta)), Shape(meta)));
            }
            foreach (var (name, meta) in session.OutputMetadata)
            {
                if (name.StartsWith("present.", StringComparison.Ordinal)) binding.BindOutput(name, caches["past." + name["present.".Length..]]);
                else binding.BindOutput(name, Tensor(new float[Shape(meta).Aggregate(1L, (x, y) => x * y)], Shape(meta)));
            }
            using var run = new RunOptions();
            for (int i = 0; i < 3; i++) session.RunWithBinding(run, binding); // warm-up
            var times = new List<double>();
            var total = Stopwatch.StartNew();
            while (times.Count < 5 || (times.Count < 200 && total.Elapsed.TotalSeconds < 0.15))
            {
                var sw = Stopwatch.StartNew();
                session.RunWithBinding(run, binding);
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        finally
        {
            foreach (var value in owned) value.Dispose();
        }
    }
}
