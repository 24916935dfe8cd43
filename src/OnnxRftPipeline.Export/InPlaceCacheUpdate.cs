using OnnxRftPipeline.Export.Onnx;
using static OnnxRftPipeline.Export.OnnxGraphBuilder;
using DT = OnnxRftPipeline.Export.Onnx.TensorProto.Types.DataType;

namespace OnnxRftPipeline.Export;

/// <summary>
/// The KV-cache update of <see cref="GraphOps.StandardInPlace"/> (default-domain ops, opset 24). A graph keeps both of
/// GenAI's protocols: when past is shorter than the mask (P = T − S, the growing cache) present = Concat(past, new), as in
/// the standard graph; when past is a preallocated buffer at least as long as the mask (search.past_present_share_buffer)
/// the new keys are written into it at column T − S with TensorScatter and present is that same buffer, so a caller that
/// binds one buffer as both past and present pays no per-step copy of the cache. Cache column = mask column in both
/// protocols (a padded prompt leaves masked gaps), so attention reads present as the standard graph reads it.
/// </summary>
sealed class InPlaceCacheUpdate
{
    readonly string _inPlace, _writeIndex;

    /// <summary>Key length of present: max(P, T). Attention's bias is built this wide.</summary>
    public string KeyLength { get; }

    public InPlaceCacheUpdate(OnnxGraphBuilder g, string anyPastKey)
    {
        var shapeStart = (long start, long end) => new[] { Attr("start", start), Attr("end", end) };
        var pastLen = g.Op("Shape", [anyPastKey], attrs: shapeStart(2, 3));               // [1]
        var totalLen = g.Op("Shape", ["attention_mask"], attrs: shapeStart(1, 2));        // [1]
        var seqLen = g.Op("Shape", ["input_ids"], attrs: shapeStart(1, 2));              // [1]
        var batch = g.Op("Shape", ["input_ids"], attrs: shapeStart(0, 1));               // [1]
        _inPlace = g.Op("Squeeze", [g.Op("GreaterOrEqual", [pastLen, totalLen])], "cache_in_place");
        // Every row writes at the same column T − S: cache columns follow mask columns, whatever a row's padding.
        _writeIndex = g.Op("Expand", [g.Op("Sub", [totalLen, seqLen]), batch], "cache_write_index");
        KeyLength = g.Op("Max", [pastLen, totalLen], "cache_key_length");
    }

    /// <summary>present.{layer}.key/value from the layer's past and its new keys/values [B,kvH,S,D].</summary>
    public void Append(OnnxGraphBuilder g, int layer, string key, string value, int kvHeads, int headDim)
    {
        string pastK = $"past_key_values.{layer}.key", pastV = $"past_key_values.{layer}.value";
        string presentK = $"present.{layer}.key", presentV = $"present.{layer}.value";
        GraphProto Branch(string name, Func<string, string, string, NodeProto> node)
        {
            var branch = new GraphProto { Name = $"{name}_{layer}" };
            foreach (var (past, update, present) in new[] { (pastK, key, presentK), (pastV, value, presentV) })
            {
                var output = $"{present}.{name}";
                branch.Node.Add(node(past, update, output));
                branch.Output.Add(Value(output, DT.Float, "batch_size", kvHeads, "cache_length", headDim));
            }
            return branch;
        }
        var scatter = Branch("scatter", (past, update, output) => new NodeProto
        {
            OpType = "TensorScatter", Name = $"n_scatter_{output}", Input = { past, update, _writeIndex }, Output = { output },
            Attribute = { Attr("axis", 2L) },
        });
        var concat = Branch("concat", (past, update, output) => new NodeProto
        {
            OpType = "Concat", Name = $"n_concat_{output}", Input = { past, update }, Output = { output },
            Attribute = { Attr("axis", 2L) },
        });
        g.OpMulti("If", [_inPlace], [presentK, presentV], attrs: [Attr("then_branch", scatter), Attr("else_branch", concat)]);
    }
}
