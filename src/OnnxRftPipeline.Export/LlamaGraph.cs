using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export.Onnx;
using static OnnxRftPipeline.Export.OnnxGraphBuilder;
using DT = OnnxRftPipeline.Export.Onnx.TensorProto.Types.DataType;

namespace OnnxRftPipeline.Export;

/// <summary>
/// Builds the decoder graph of a Llama checkpoint with GenAI's I/O names (see data-schemas/model-folder.md):
/// input_ids/position_ids [B,S], attention_mask [B,T], past_key_values.N.key/value [B,kvH,P,D] →
/// logits [B,S,V], present.N.key/value [B,kvH,T,D] with T = P + S.
/// Attention rule: the query in cache column P+i sees key column j iff j ≤ P+i and attention_mask[b,j] = 1,
/// so right-padded prompts and the gaps they leave in the cache are skipped.
/// </summary>
public static class LlamaGraph
{
    public const int Opset = 17;
    /// <summary>ONNX IR version matching opset 17.</summary>
    public const int IrVersion = 8;
    /// <summary>The in-place flavour needs TensorScatter (opset 24); IR version 11 is the one ONNX Runtime reads with it.</summary>
    public const int InPlaceOpset = 24, InPlaceIrVersion = 11;

    public static int OpsetFor(GraphOps ops) => ops == GraphOps.StandardInPlace ? InPlaceOpset : Opset;
    /// <summary>Additive bias for blocked keys. Finite (not -inf) so a query with every key blocked
    /// (a row that is all padding) gets a uniform softmax instead of NaN; exp(-1e9 - max) is 0 in fp32.</summary>
    public const float MaskedBias = -1e9f;

    /// <summary>A projection weight [In, Out] (transposed from the checkpoint's [out, in]) and its initializer name.</summary>
    sealed record Weight(string Name, int In, int Out, float[] Data);

    public static ModelProto Build(LlamaCheckpoint ckpt, GraphOps ops, WeightQuantization quantize = WeightQuantization.None)
    {
        var c = ckpt.Config;
        var g = new OnnxGraphBuilder();
        int nH = c.NumAttentionHeads, kvH = c.NumKeyValueHeads, D = c.HeadDim, H = c.HiddenSize, V = c.VocabSize;
        int group = nH / kvH;

        g.Input(Value("input_ids", DT.Int64, "batch_size", "sequence_length"));
        g.Input(Value("attention_mask", DT.Int64, "batch_size", "total_sequence_length"));
        g.Input(Value("position_ids", DT.Int64, "batch_size", "sequence_length"));
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            g.Input(Value($"past_key_values.{l}.key", DT.Float, "batch_size", kvH, "past_sequence_length", D));
            g.Input(Value($"past_key_values.{l}.value", DT.Float, "batch_size", kvH, "past_sequence_length", D));
        }
        g.Output(Value("logits", DT.Float, "batch_size", "sequence_length", V));
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            g.Output(Value($"present.{l}.key", DT.Float, "batch_size", kvH, "total_sequence_length", D));
            g.Output(Value($"present.{l}.value", DT.Float, "batch_size", kvH, "total_sequence_length", D));
        }

        // Weights: linear layers ([out, in] in the checkpoint) stored transposed ([in, out]) so every projection is one
        // MatMul. Projections of the same input are stored side by side ([in, out1 + out2 + …]): one MatMul (and one bigger,
        // more efficient GEMM) instead of several, then a Split. Fewer kernels per layer matters most at batch 1, where each
        // kernel's fixed cost outweighs its arithmetic.
        Weight Linear(string name) => FusedLinear(name + ".T", name);
        Weight FusedLinear(string name, params string[] names)
        {
            var parts = names.Select(ckpt.Tensor).ToArray();
            int inDim = (int)parts[0].Shape[1], outDim = parts.Sum(t => (int)t.Shape[0]);
            var fused = new float[inDim * outDim];
            int col = 0;
            foreach (var t in parts)
            {
                int o = (int)t.Shape[0];
                for (int r = 0; r < o; r++)
                    for (int i = 0; i < inDim; i++)
                        fused[i * outDim + col + r] = t.Data[r * inDim + i];
                col += o;
            }
            return new Weight(name, inDim, outDim, fused);
        }
        string Project(string input, Weight w, string? output = null) => Projection(g, input, w.Name, w.Data, w.In, w.Out, quantize, output);
        string[] SplitLast(string input, string hint, params long[] sizes)
            => g.OpMulti("Split", [input, g.ConstInt64("split_" + hint, sizes)], sizes.Select(_ => g.Fresh(hint)).ToArray(), attrs: Attr("axis", -1L));
        string Vector(string name) { var t = ckpt.Tensor(name); return g.Initializer(name, t.Shape, t.Data); }
        // Biases of projections stored side by side are concatenated in the same order as their weights.
        string AddBias(string projected, string name, params string[] names)
        {
            var data = names.SelectMany(n => ckpt.Tensor(n).Data).ToArray();
            return g.Op("Add", [projected, g.Initializer(name, [data.Length], data)]);
        }

        var embed = g.Initializer(LlamaConfig.Names.Embed, [V, H], ckpt[LlamaConfig.Names.Embed]);
        var x = g.Op("Gather", [embed, "input_ids"], attrs: Attr("axis", 0L));

        var cache = ops == GraphOps.StandardInPlace ? new InPlaceCacheUpdate(g, "past_key_values.0.key") : null;
        var bias = ops == GraphOps.Contrib ? null : AttentionBias(g, cache?.KeyLength);
        var gqa = ops == GraphOps.Contrib ? GqaInputs(g) : null;
        var rotary = Rotary(g, c, ops);
        var scale = g.ConstFloatScalar("attn_scale", (float)(1.0 / Math.Sqrt(D)));
        var shapeKvHeads = g.ConstInt64("shape_kv_heads", 0, 0, kvH, D);
        var shapeMerge = g.ConstInt64("shape_merge", 0, 0, nH * D);
        var shapeGrouped = g.ConstInt64("shape_grouped", 0, kvH, -1, D);
        var shapeScoresHeads = g.ConstInt64("shape_scores_heads", 0, nH, -1, 0);
        var shapeScoresGrouped = g.ConstInt64("shape_scores_grouped", 0, kvH, -1, 0);
        var shapeCtxHeads = g.ConstInt64("shape_ctx_heads", 0, nH, -1, D);

        string Norm(string input, string weightName) => RmsNorm(g, input, Vector(weightName), (float)c.RmsNormEps, ops);
        // Residual add followed by the next RMSNorm; one fused kernel in contrib mode.
        (string Sum, string Normed) AddNorm(string residual, string branch, string weightName)
        {
            if (ops == GraphOps.Contrib)
            {
                var outs = g.OpMulti("SkipSimplifiedLayerNormalization", [residual, branch, Vector(weightName)],
                    [g.Fresh("skip_norm"), "", "", g.Fresh("residual")], MicrosoftDomain, Attr("epsilon", (float)c.RmsNormEps));
                return (outs[3], outs[0]);
            }
            var sum = g.Op("Add", [residual, branch]);
            return (sum, Norm(sum, weightName));
        }

        var h = Norm(x, LlamaConfig.Names.InputNorm(0));
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string Heads(string projected, string shape)
                => g.Op("Transpose", [g.Op("Reshape", [projected, shape])], attrs: AttrInts("perm", 0, 2, 1, 3));
            string ctx;
            // Q, K and V in one projection [B, S, (nH + 2·kvH)·D].
            var qkv = Project(h, FusedLinear($"model.layers.{l}.self_attn.qkv_proj.weight.T",
                LlamaConfig.Names.Q(l), LlamaConfig.Names.K(l), LlamaConfig.Names.V(l)));
            if (c.QkvBias)
                qkv = AddBias(qkv, $"model.layers.{l}.self_attn.qkv_proj.bias", LlamaConfig.Names.QBias(l), LlamaConfig.Names.KBias(l), LlamaConfig.Names.VBias(l));
            if (ops == GraphOps.Contrib)
            {
                // One fused kernel for rotary, attention and the cache append, fed the packed projection. It keeps each row's
                // keys contiguous (pads skipped), so past and present may share one preallocated buffer (genai
                // search.past_present_share_buffer), and it derives each token's rotary position from seqlens_k: the index
                // among the row's real tokens, which is our position rule (GenAI's model builder does the same).
                // Its rotary needs head_size % 16 == 0; other head sizes split the projection and rotate Q and K with
                // RotaryEmbedding at the clamped position_ids (the same angles).
                bool packed = rotary.Positions is null;
                string[] qkvInputs = [qkv, "", ""];
                if (!packed)
                {
                    var p = SplitLast(qkv, "q_k_v", nH * D, kvH * D, kvH * D);
                    qkvInputs = [ContribRope(g, p[0], nH, rotary), ContribRope(g, p[1], kvH, rotary), p[2]];
                }
                string[] rotaryInputs = packed ? [rotary.Cos, rotary.Sin] : [];
                AttributeProto[] rotaryAttrs = packed ? [Attr("do_rotary", 1L), Attr("rotary_interleaved", 0L)] : [];
                var outs = g.OpMulti("GroupQueryAttention",
                    [.. qkvInputs, $"past_key_values.{l}.key", $"past_key_values.{l}.value", gqa!.SeqlensK, gqa.TotalLength, .. rotaryInputs],
                    [g.Fresh("gqa"), $"present.{l}.key", $"present.{l}.value"], MicrosoftDomain,
                    [Attr("num_heads", (long)nH), Attr("kv_num_heads", (long)kvH), .. rotaryAttrs]);
                // A padded prefill query's output is unspecified (the kernel's softmax runs past the row's keys): zero it
                // so every logit stays finite, as in the standard graph.
                ctx = g.Op("Where", [gqa.RealQuery, outs[0], gqa.Zero]);
            }
            else
            {
                // Queries and keys rotate by the same angles per head, so one rotary pass covers both; its [B,S,heads,D] view
                // is split into query and key heads, which are then moved ahead of the sequence axis.
                var qkvParts = SplitLast(qkv, "qk_v", (nH + kvH) * D, kvH * D);
                var qk = g.OpMulti("Split", [Rope(g, qkvParts[0], nH + kvH, rotary, D), g.ConstInt64("split_q_k", nH, kvH)],
                    [g.Fresh("q_heads"), g.Fresh("k_heads")], attrs: Attr("axis", 2L));
                string HeadsFirst(string bshd) => g.Op("Transpose", [bshd], attrs: AttrInts("perm", 0, 2, 1, 3));
                var q = HeadsFirst(qk[0]);
                var k = HeadsFirst(qk[1]);
                var v = Heads(qkvParts[1], shapeKvHeads);
                string presentK = $"present.{l}.key", presentV = $"present.{l}.value";
                if (cache is not null) cache.Append(g, l, k, v, kvH, D);
                else
                {
                    g.Op("Concat", [$"past_key_values.{l}.key", k], presentK, attrs: Attr("axis", 2L));
                    g.Op("Concat", [$"past_key_values.{l}.value", v], presentV, attrs: Attr("axis", 2L));
                }

                // GQA without copying K/V: query heads kv*group+j are regrouped as [B, kvH, group*S, D]
                // so each K/V head multiplies its own group of queries (HF's repeat_kv order).
                var qs = g.Op("Mul", [q, scale]);
                if (group > 1) qs = g.Op("Reshape", [qs, shapeGrouped]);
                var scores = g.Op("MatMul", [qs, g.Op("Transpose", [presentK], attrs: AttrInts("perm", 0, 1, 3, 2))]);
                if (group > 1) scores = g.Op("Reshape", [scores, shapeScoresHeads]);
                var probs = g.Op("Softmax", [g.Op("Add", [scores, bias!])], attrs: Attr("axis", -1L));
                if (group > 1) probs = g.Op("Reshape", [probs, shapeScoresGrouped]);
                ctx = g.Op("MatMul", [probs, presentV]);
                if (group > 1) ctx = g.Op("Reshape", [ctx, shapeCtxHeads]);
                ctx = g.Op("Reshape", [g.Op("Transpose", [ctx], attrs: AttrInts("perm", 0, 2, 1, 3)), shapeMerge]);
            }
            var attnOut = Project(ctx, Linear(LlamaConfig.Names.O(l)));
            if (c.OutputBias) attnOut = AddBias(attnOut, LlamaConfig.Names.OBias(l), LlamaConfig.Names.OBias(l));
            var (afterAttn, h2) = AddNorm(x, attnOut, LlamaConfig.Names.PostAttnNorm(l));

            int I = c.IntermediateSize;
            var gateUp = SplitLast(Project(h2, FusedLinear($"model.layers.{l}.mlp.gate_up_proj.weight.T",
                LlamaConfig.Names.Gate(l), LlamaConfig.Names.Up(l))), "gate_up", I, I);
            var (gate, up) = (gateUp[0], gateUp[1]);
            var act = g.Op("Mul", [g.Op("Mul", [gate, g.Op("Sigmoid", [gate])]), up]);
            var nextNorm = l + 1 < c.NumHiddenLayers ? LlamaConfig.Names.InputNorm(l + 1) : LlamaConfig.Names.FinalNorm;
            (x, h) = AddNorm(afterAttn, Project(act, Linear(LlamaConfig.Names.Down(l))), nextNorm);
        }

        // Tied: transpose the embedding in the graph (ORT folds it once at load) instead of storing it twice. With int8 weights
        // the head is a quantized copy of the transposed embedding (the Gather above still needs the float table).
        if (c.TieWordEmbeddings && quantize == WeightQuantization.None)
            g.Op("MatMul", [h, g.Op("Transpose", [embed], attrs: AttrInts("perm", 1, 0))], "logits");
        else
            Project(h, Linear(ckpt.LmHeadName), "logits");

        var model = new ModelProto
        {
            IrVersion = ops == GraphOps.StandardInPlace ? InPlaceIrVersion : IrVersion,
            ProducerName = "OnnxRftPipeline.Export",
            ProducerVersion = typeof(LlamaGraph).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = g.Build(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetFor(ops) });
        if (g.UsesMicrosoftDomain) model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return model;
    }

    /// <summary>
    /// input · W for a weight W [inDim, outDim] stored under <paramref name="name"/>: a float MatMul, or with int8 weights
    /// com.microsoft DynamicQuantizeMatMul (inputs A, B int8 [in, out], b_scale float [out] = one scale per output column;
    /// b_zero_point omitted = 0, symmetric; no bias). Shared with the benchmarks, which time the kernels the export uses.
    /// </summary>
    public static string Projection(OnnxGraphBuilder g, string input, string name, float[] w, int inDim, int outDim, WeightQuantization quantize,
        string? output = null)
    {
        if (quantize == WeightQuantization.None)
            return g.Op("MatMul", [input, g.Initializer(name, [inDim, outDim], w)], output);
        var (q, scales) = Int8Weights.Quantize(w, inDim, outDim);
        return g.Op("DynamicQuantizeMatMul",
            [input, g.InitializerInt8(name + Int8Weights.QuantizedSuffix, [inDim, outDim], q), g.Initializer(name + Int8Weights.ScaleSuffix, [outDim], scales)],
            output, MicrosoftDomain);
    }

    /// <summary>
    /// [B,1,S,L] additive bias: 0 where the query may attend the key, <see cref="MaskedBias"/> elsewhere. L is the mask width T,
    /// or <paramref name="keyLength"/> when the cache may be a longer preallocated buffer: its columns from T on are later than
    /// every query, so the causal rule blocks them and the mask is only padded to L.
    /// </summary>
    static string AttentionBias(OnnxGraphBuilder g, string? keyLength = null)
    {
        var seqLen = g.Op("Shape", ["input_ids"], attrs: [Attr("start", 1L), Attr("end", 2L)]);
        var totalLen = g.Op("Shape", ["attention_mask"], attrs: [Attr("start", 1L), Attr("end", 2L)]);
        var pastLen = g.Op("Squeeze", [g.Op("Sub", [totalLen, seqLen])]);
        var total = g.Op("Squeeze", [totalLen]);
        var zero = g.ConstInt64Scalar("zero_i64", 0);
        var one = g.ConstInt64Scalar("one_i64", 1);
        var keys = keyLength is null ? total : g.Op("Squeeze", [keyLength]);
        var mask = keyLength is null ? "attention_mask"
            : g.Op("Pad", ["attention_mask", g.Op("Concat", [g.ConstInt64("pad_none", 0, 0, 0), g.Op("Sub", [keyLength, totalLen])], attrs: Attr("axis", 0L))]);
        var keyCol = g.Op("Unsqueeze", [g.Op("Range", [zero, keys, one]), g.ConstInt64("axes0", 0)]);         // [1,L]
        var queryCol = g.Op("Unsqueeze", [g.Op("Range", [pastLen, total, one]), g.ConstInt64("axes1", 1)]);   // [S,1]
        var future = g.Op("Greater", [keyCol, queryCol]);                                                     // [S,L]
        var padded = g.Op("Unsqueeze", [g.Op("Equal", [mask, zero]), g.ConstInt64("axes12", 1, 2)]);          // [B,1,1,L]
        var blocked = g.Op("Or", [future, padded]);                                                           // [B,1,S,L]
        return g.Op("Where", [blocked, g.ConstFloatScalar("masked_bias", MaskedBias), g.ConstFloatScalar("zero_f", 0f)], "attention_bias");
    }

    /// <summary>GroupQueryAttention's side inputs, derived from attention_mask as GenAI's model builder does.</summary>
    sealed record GqaSideInputs(string SeqlensK, string TotalLength, string RealQuery, string Zero);

    /// <summary>
    /// seqlens_k = real tokens per row − 1 (int32 [B], at least 0), total_sequence_length = mask width (int32 [1]), and which query
    /// columns (the mask's last S) are real tokens, [B,S,1] bool.
    /// </summary>
    static GqaSideInputs GqaInputs(OnnxGraphBuilder g)
    {
        const long int32 = (long)DT.Int32;
        var realTokens = g.Op("ReduceSum", ["attention_mask", g.ConstInt64("axes_seq", 1)], attrs: Attr("keepdims", 0L));
        // Clamped at 0: the kernel rejects -1, and an all-padding row's output is zeroed below anyway.
        var lastIndex = g.Op("Max", [g.Op("Sub", [realTokens, g.ConstInt64Scalar("one_i64", 1)]), g.ConstInt64Scalar("zero_i64", 0)]);
        var seqlens = g.Op("Cast", [lastIndex], "seqlens_k", attrs: Attr("to", int32));
        var seqLen = g.Op("Shape", ["input_ids"], attrs: [Attr("start", 1L), Attr("end", 2L)]);
        var totalLen = g.Op("Shape", ["attention_mask"], attrs: [Attr("start", 1L), Attr("end", 2L)]);
        var total = g.Op("Cast", [totalLen], "total_sequence_length", attrs: Attr("to", int32));
        var queryMask = g.Op("Slice", ["attention_mask", g.Op("Sub", [totalLen, seqLen]), totalLen, g.ConstInt64("axes_cols", 1)]);
        var real = g.Op("Cast", [g.Op("Unsqueeze", [queryMask, g.ConstInt64("axes_last", 2)])], "query_is_real", attrs: Attr("to", (long)DT.Bool));
        return new GqaSideInputs(seqlens, total, real, g.ConstFloatScalar("zero_ctx", 0f));
    }

    /// <summary>What rotary embedding needs, per mode: gathered cos/sin or the half tables, and the clamped positions where a
    /// node indexes the tables with them (null when GroupQueryAttention rotates itself).</summary>
    sealed record RotaryInputs(string Cos, string Sin, string? Positions);

    /// <summary>GroupQueryAttention's own rotary accepts head sizes that are a multiple of this.</summary>
    const int GqaRotaryHeadMultiple = 16;

    /// <summary>
    /// Standard: positions are clamped to the table so a pad's arbitrary position cannot index out of range, and cos/sin
    /// [B,S,1,D] are gathered once and shared by every layer (broadcast over heads of [B,S,N,D] activations).
    /// Contrib: the half tables [maxPos, D/2], indexed by GroupQueryAttention itself (positions from seqlens_k, within the
    /// context) or, for head sizes its rotary refuses, by RotaryEmbedding at the clamped positions.
    /// Angles follow HF's float32 computation: inv_freq from <see cref="RopeScaling"/>, angle = pos·inv_freq_i in float32.
    /// </summary>
    static RotaryInputs Rotary(OnnxGraphBuilder g, LlamaConfig c, GraphOps ops)
    {
        var (cosTable, sinTable) = RotaryTables(c);
        int maxPos = c.ContextLimit, D = c.HeadDim;
        string Clamped() => g.Op("Clip", ["position_ids", g.ConstInt64Scalar("pos_min", 0), g.ConstInt64Scalar("pos_max", maxPos - 1)], "position_ids_clamped");
        if (ops == GraphOps.Contrib)
        {
            float[] Half(float[] t) => Enumerable.Range(0, maxPos).SelectMany(p => t.AsSpan(p * D, D / 2).ToArray()).ToArray();
            return new RotaryInputs(
                g.Initializer("rotary_cos_half", [maxPos, D / 2], Half(cosTable)),
                g.Initializer("rotary_sin_half", [maxPos, D / 2], Half(sinTable)),
                D % GqaRotaryHeadMultiple == 0 ? null : Clamped());
        }
        var pos = Clamped();
        var cosT = g.Initializer("rotary_cos", [maxPos, D], cosTable);
        var sinT = g.Initializer("rotary_sin", [maxPos, D], sinTable);
        var axis2 = g.ConstInt64("axes_head", 2);
        var cos = g.Op("Unsqueeze", [g.Op("Gather", [cosT, pos], attrs: Attr("axis", 0L)), axis2], "rotary_cos_bs1d");
        var sin = g.Op("Unsqueeze", [g.Op("Gather", [sinT, pos], attrs: Attr("axis", 0L)), axis2], "rotary_sin_bs1d");
        return new RotaryInputs(cos, sin, pos);
    }

    /// <summary>com.microsoft RotaryEmbedding (non-interleaved) on a projection [B,S,heads·D] at the clamped positions.</summary>
    static string ContribRope(OnnxGraphBuilder g, string projected, int heads, RotaryInputs r)
        => g.Op("RotaryEmbedding", [projected, r.Positions!, r.Cos, r.Sin], domain: MicrosoftDomain,
            attrs: [Attr("interleaved", 0L), Attr("num_heads", (long)heads)]);

    /// <summary>cos/sin [ContextLimit, head_dim] of the checkpoint's rope settings (the trainer uses the same function).</summary>
    public static (float[] Cos, float[] Sin) RotaryTables(LlamaConfig c) => c.Rope.Tables(c.HeadDim, c.ContextLimit);

    /// <summary>
    /// x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] per head, on projections [B,S,heads·D]; returns the rotated
    /// [B,S,heads,D] view (the caller splits heads from it).
    /// </summary>
    static string Rope(OnnxGraphBuilder g, string projected, int heads, RotaryInputs r, int D)
    {
        var x = g.Op("Reshape", [projected, g.ConstInt64("shape_rope", 0, 0, heads, D)]);
        var axis = g.ConstInt64("rope_axis", 3);
        var x1 = g.Op("Slice", [x, g.ConstInt64("rope_lo", 0), g.ConstInt64("rope_mid", D / 2), axis]);
        var x2 = g.Op("Slice", [x, g.ConstInt64("rope_mid", D / 2), g.ConstInt64("rope_hi", D), axis]);
        var rotated = g.Op("Concat", [g.Op("Neg", [x2]), x1], attrs: Attr("axis", -1L));
        return g.Op("Add", [g.Op("Mul", [x, r.Cos]), g.Op("Mul", [rotated, r.Sin])]);
    }

    /// <summary>
    /// RMSNorm x / sqrt(mean(x²) + eps) · w. Standard: composed as Pow/ReduceMean/Add/Sqrt/Div/Mul, the
    /// pattern ORT fuses into its SimplifiedLayerNormalization kernel. Contrib: that op directly.
    /// </summary>
    static string RmsNorm(OnnxGraphBuilder g, string x, string weight, float eps, GraphOps ops)
    {
        if (ops == GraphOps.Contrib)
            return g.Op("SimplifiedLayerNormalization", [x, weight], attrs: [Attr("axis", -1L), Attr("epsilon", eps), Attr("stash_type", 1L)]);
        var sq = g.Op("Pow", [x, g.ConstFloatScalar("two", 2f)]);
        // Opset 18 moved ReduceMean's axes from an attribute to an input.
        var meanSq = OpsetFor(ops) >= 18
            ? g.Op("ReduceMean", [sq, g.ConstInt64("axes_last", -1)], attrs: Attr("keepdims", 1L))
            : g.Op("ReduceMean", [sq], attrs: [AttrInts("axes", -1), Attr("keepdims", 1L)]);
        var denom = g.Op("Sqrt", [g.Op("Add", [meanSq, g.ConstFloatScalar("rms_eps", eps)])]);
        return g.Op("Mul", [g.Op("Div", [x, denom]), weight]);
    }
}
