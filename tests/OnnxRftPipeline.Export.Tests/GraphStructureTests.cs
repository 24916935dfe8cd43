using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export.Onnx;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>Reads the written model.onnx back with the proto subset and checks what the exporter promises.</summary>
public sealed class GraphStructureTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "graph-structure-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    ModelProto ExportAndRead(bool tied, GraphOps ops, long externalThreshold = long.MaxValue, int hidden = 32)
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(tied, 2, hidden: hidden, context: 64), 5);
        var dir = OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "m", "v1"),
            new ExportOptions { Ops = ops, ExternalDataThresholdBytes = externalThreshold, Force = true }).OutDir;
        return ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
    }

    [Fact]
    public void Standard_graph_uses_only_default_domain_ops_at_opset_17()
    {
        var m = ExportAndRead(tied: true, GraphOps.Standard);
        Assert.Equal(8, m.IrVersion);
        var opset = Assert.Single(m.OpsetImport);
        Assert.Equal(("", 17L), (opset.Domain, opset.Version));
        Assert.All(m.Graph.Node, n => Assert.Equal("", n.Domain));
        Assert.DoesNotContain(m.Graph.Node, n => n.OpType == "SimplifiedLayerNormalization");
    }

    [Fact]
    public void Contrib_graph_imports_com_microsoft_and_uses_its_ops()
    {
        var m = ExportAndRead(tied: true, GraphOps.Contrib);
        Assert.Contains(m.OpsetImport, o => o.Domain == "com.microsoft" && o.Version == 1);
        Assert.Contains(m.Graph.Node, n => n.Domain == "com.microsoft" && n.OpType == "RotaryEmbedding");
        Assert.Contains(m.Graph.Node, n => n.Domain == "com.microsoft" && n.OpType == "SkipSimplifiedLayerNormalization");
        Assert.Contains(m.Graph.Node, n => n.Domain == "com.microsoft" && n.OpType == "GroupQueryAttention");
    }

    [Fact]
    public void Contrib_graph_with_head_size_a_multiple_of_16_lets_group_query_attention_rotate_the_packed_projection()
    {
        var m = ExportAndRead(tied: true, GraphOps.Contrib, hidden: 64);   // 4 heads of 16
        Assert.DoesNotContain(m.Graph.Node, n => n.OpType == "RotaryEmbedding");
        var gqa = m.Graph.Node.Where(n => n.OpType == "GroupQueryAttention").ToList();
        Assert.Equal(2, gqa.Count);
        Assert.All(gqa, n =>
        {
            Assert.Equal(1, n.Attribute.Single(a => a.Name == "do_rotary").I);
            Assert.Equal(("", ""), (n.Input[1], n.Input[2]));   // key and value come packed in the query input
        });
    }

    [Fact]
    public void Projections_of_one_input_are_one_matmul_each()
    {
        var m = ExportAndRead(tied: false, GraphOps.Standard);
        // Per layer: QKV, O, gate|up, down; plus the head. Attention scores and context add two per layer.
        Assert.Equal(2 * (4 + 2) + 1, m.Graph.Node.Count(n => n.OpType == "MatMul"));
        Assert.Contains(m.Graph.Initializer, t => t.Name == "model.layers.0.self_attn.qkv_proj.weight.T" && t.Dims.SequenceEqual(new long[] { 32, 8 * (4 + 2 + 2) }));
        Assert.Contains(m.Graph.Initializer, t => t.Name == "model.layers.1.mlp.gate_up_proj.weight.T" && t.Dims.SequenceEqual(new long[] { 32, 2 * 48 }));
    }

    [Fact]
    public void Standard_in_place_graph_uses_only_default_domain_ops_at_opset_24_and_scatters_into_the_cache()
    {
        var m = ExportAndRead(tied: true, GraphOps.StandardInPlace);
        var opset = Assert.Single(m.OpsetImport);
        Assert.Equal(("", 24L), (opset.Domain, opset.Version));
        Assert.All(m.Graph.Node, n => Assert.Equal("", n.Domain));
        var ifs = m.Graph.Node.Where(n => n.OpType == "If").ToList();
        Assert.Equal(2, ifs.Count);   // one per layer, key and value together
        Assert.All(ifs, n =>
        {
            var then = n.Attribute.Single(a => a.Name == "then_branch").G;
            var otherwise = n.Attribute.Single(a => a.Name == "else_branch").G;
            Assert.All(then.Node, b => Assert.Equal("TensorScatter", b.OpType));
            Assert.All(otherwise.Node, b => Assert.Equal("Concat", b.OpType));
        });
        Assert.DoesNotContain(m.Graph.Node, n => n.OpType == "Concat" && n.Output[0].StartsWith("present."));
    }

    [Theory]
    [InlineData(GraphOps.Standard, 4)]   // plain multi-head: the GQA regrouping shapes are declared but not needed
    [InlineData(GraphOps.Standard, 2)]
    [InlineData(GraphOps.Contrib, 2)]
    [InlineData(GraphOps.StandardInPlace, 2)]
    public void Every_initializer_is_read_by_some_node(GraphOps ops, int kvHeads)
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(tied: false, kvHeads, context: 64), 5);
        var dir = OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "m", "v1"), new ExportOptions { Ops = ops, Force = true }).OutDir;
        var m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var read = m.Graph.Node.SelectMany(n => n.Input).ToHashSet();
        Assert.NotEmpty(m.Graph.Initializer);
        Assert.All(m.Graph.Initializer, t => Assert.Contains(t.Name, read));
    }

    [Fact]
    public void Io_names_and_symbolic_dims_follow_genai()
    {
        var m = ExportAndRead(tied: false, GraphOps.Standard);
        string Dims(ValueInfoProto v) => string.Join(",", v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        var inputs = m.Graph.Input.ToDictionary(v => v.Name);
        Assert.Equal("batch_size,sequence_length", Dims(inputs["input_ids"]));
        Assert.Equal("batch_size,total_sequence_length", Dims(inputs["attention_mask"]));
        Assert.Equal("batch_size,2,past_sequence_length,8", Dims(inputs["past_key_values.1.value"]));
        var outputs = m.Graph.Output.ToDictionary(v => v.Name);
        Assert.Equal("batch_size,sequence_length,259", Dims(outputs["logits"]));
        Assert.Equal("batch_size,2,total_sequence_length,8", Dims(outputs["present.0.key"]));
        Assert.Equal(3 + 2 * 2, m.Graph.Input.Count);
        Assert.Equal(1 + 2 * 2, m.Graph.Output.Count);
    }

    [Fact]
    public void Tied_model_stores_the_embedding_once()
    {
        var tied = ExportAndRead(tied: true, GraphOps.Standard);
        Assert.DoesNotContain(tied.Graph.Initializer, t => t.Name.StartsWith(LlamaConfig.Names.LmHead));
        Assert.Single(tied.Graph.Initializer, t => t.Dims.SequenceEqual(new long[] { 259, 32 }) || t.Dims.SequenceEqual(new long[] { 32, 259 }));
        var untied = ExportAndRead(tied: false, GraphOps.Standard);
        Assert.Contains(untied.Graph.Initializer, t => t.Name == LlamaConfig.Names.LmHead + ".T");
    }

    [Fact]
    public void External_data_is_page_aligned_and_covers_every_large_weight()
    {
        var m = ExportAndRead(tied: true, GraphOps.Standard, externalThreshold: 0);
        var dataPath = Path.Combine(_root, "models", "m", "v1", "model.onnx.data");
        long dataLen = new FileInfo(dataPath).Length;
        var external = m.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        Assert.Contains(external, t => t.Name == LlamaConfig.Names.Embed);
        foreach (var t in external)
        {
            var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal("model.onnx.data", kv["location"]);
            long offset = long.Parse(kv["offset"]), length = long.Parse(kv["length"]);
            Assert.Equal(0, offset % 4096);
            Assert.Equal(t.Dims.Aggregate(1L, (a, b) => a * b) * 4, length);
            Assert.True(offset + length <= dataLen);
            Assert.True(t.RawData.IsEmpty);
        }
        // Only small constants stay inline.
        Assert.All(m.Graph.Initializer.Where(t => t.DataLocation != TensorProto.Types.DataLocation.External), t => Assert.True(t.RawData.Length < 1024));
    }
}
