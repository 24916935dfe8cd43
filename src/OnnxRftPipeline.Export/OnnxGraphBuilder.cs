using Google.Protobuf;
using OnnxRftPipeline.Export.Onnx;

namespace OnnxRftPipeline.Export;

/// <summary>
/// Small helper over the generated protobuf classes: appends nodes with fresh output names, adds
/// initializers and constants, declares graph inputs/outputs. Hand-written because no ONNX graph
/// builder exists for .NET; it holds no model knowledge (that is <see cref="LlamaGraph"/>).
/// </summary>
public sealed class OnnxGraphBuilder
{
    public const string MicrosoftDomain = "com.microsoft";
    public GraphProto Graph { get; } = new() { Name = "main" };
    readonly Dictionary<string, int> _counters = new();
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    public bool UsesMicrosoftDomain { get; private set; }

    public string Fresh(string hint)
    {
        _counters.TryGetValue(hint, out int n);
        _counters[hint] = n + 1;
        var name = n == 0 ? hint : $"{hint}_{n}";
        while (!_names.Add(name)) name = $"{hint}_{++n}_";
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Op(string opType, string[] inputs, string? output = null, string? domain = null, params AttributeProto[] attrs)
        => OpMulti(opType, inputs, [output ?? Fresh(opType.ToLowerInvariant())], domain, attrs)[0];

    public string[] OpMulti(string opType, string[] inputs, string[] outputs, string? domain = null, params AttributeProto[] attrs)
    {
        foreach (var o in outputs) _names.Add(o);
        var node = new NodeProto { OpType = opType, Name = Fresh("n_" + opType) };
        if (domain is not null) { node.Domain = domain; if (domain == MicrosoftDomain) UsesMicrosoftDomain = true; }
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attrs);
        Graph.Node.Add(node);
        return outputs;
    }

    public string Initializer(string name, long[] dims, float[] data) =>
        Initializer(name, dims, TensorProto.Types.DataType.Float, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));

    /// <summary>An int8 initializer (raw little-endian bytes, as ONNX stores INT8 raw_data).</summary>
    public string InitializerInt8(string name, long[] dims, sbyte[] data) =>
        Initializer(name, dims, TensorProto.Types.DataType.Int8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));

    string Initializer(string name, long[] dims, TensorProto.Types.DataType type, ReadOnlySpan<byte> raw)
    {
        _names.Add(name);
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(raw);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>
    /// The finished graph: initializers that no node reads (and no graph output names) are dropped, so a model can
    /// declare its constants up front without ORT warning at load about each one a configuration leaves unused.
    /// </summary>
    public GraphProto Build()
    {
        var read = Graph.Node.SelectMany(n => n.Input).Concat(Graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = Graph.Initializer.Where(t => !read.Contains(t.Name)).ToList();
        foreach (var t in unused) Graph.Initializer.Remove(t);
        return Graph;
    }

    public string ConstInt64(string hint, params long[] values) => ConstInt64Shaped(hint, [values.Length], values);

    public string ConstInt64Scalar(string hint, long value) => ConstInt64Shaped(hint, [], [value]);

    public string ConstInt64Shaped(string hint, long[] dims, long[] values)
    {
        var name = Fresh(hint);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        Graph.Initializer.Add(t);
        return name;
    }

    public string ConstFloatScalar(string hint, float value)
    {
        var name = Fresh(hint);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Declares a graph input or output; a dimension is an int (fixed) or a string (symbolic).</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => throw new ArgumentException($"bad dimension {d}"),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public void Input(ValueInfoProto v) { _names.Add(v.Name); Graph.Input.Add(v); }
    public void Output(ValueInfoProto v) => Graph.Output.Add(v);

    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto Attr(string name, GraphProto graph) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
    public static AttributeProto AttrInts(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
