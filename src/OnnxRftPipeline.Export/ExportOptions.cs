namespace OnnxRftPipeline.Export;

/// <summary>Which operators the exported graph uses.</summary>
public enum GraphOps
{
    /// <summary>Default-domain ONNX ops only (opset 17): runs on any ONNX runtime.</summary>
    Standard,
    /// <summary>
    /// ONNX Runtime's CPU contrib ops (com.microsoft) where they replace composed subgraphs: RMSNorm, rotary, and
    /// GroupQueryAttention, whose cache can be updated in place (genai_config search.past_present_share_buffer).
    /// </summary>
    Contrib,
    /// <summary>
    /// Default-domain ONNX ops at opset 24: the standard graph, except that a preallocated max-length past buffer is updated in
    /// place (TensorScatter) instead of concatenated into a new one, so past and present can share one buffer
    /// (search.past_present_share_buffer) as with <see cref="Contrib"/>. A growing past still works (Concat).
    /// </summary>
    StandardInPlace,
}

/// <summary>How the projection weights are stored.</summary>
public enum WeightQuantization
{
    /// <summary>fp32 weights, plain MatMul (the default).</summary>
    None,
    /// <summary>
    /// Every projection with a weight initializer (fused Q|K|V, o_proj, fused gate|up, down_proj, lm_head) becomes
    /// com.microsoft DynamicQuantizeMatMul: int8 weights [K,N] with one symmetric scale per output column
    /// (max |W[:,n]| / 63: seven bits, see Int8Weights; zero point 0), activations quantized to uint8 per call by ONNX Runtime. Logits and KV cache stay fp32,
    /// so the graph's inputs and outputs are unchanged; the graph needs ONNX Runtime whatever <see cref="GraphOps"/> says.
    /// </summary>
    Int8,
}

public sealed record ExportOptions
{
    /// <summary>Replace an existing version folder. Without it an existing folder is an error.</summary>
    public bool Force { get; init; }
    /// <summary>Model name recorded in rft_model.json; default: the output folder's parent name (models/NAME/VERSION).</summary>
    public string? ModelName { get; init; }
    /// <summary>Version recorded in rft_model.json; default: the output folder's name.</summary>
    public string? ModelVersion { get; init; }
    public GraphOps Ops { get; init; } = GraphOps.Standard;
    /// <summary>Opt-in int8 projection weights (rft_model.json weight_quantization); default fp32.</summary>
    public WeightQuantization Quantize { get; init; } = WeightQuantization.None;
    /// <summary>
    /// Weights go to model.onnx.data when their total size reaches this many bytes. Protobuf caps a
    /// message at 2 GiB, so the default keeps well below that; 0 forces external data.
    /// </summary>
    public long ExternalDataThresholdBytes { get; init; } = 1L << 30;
    /// <summary>genai_config context_length; default the checkpoint's max_position_embeddings.</summary>
    public int? ContextLength { get; init; }
    /// <summary>Clock for rft_model.json's export time (tests pin it).</summary>
    public Func<DateTime> UtcNow { get; init; } = () => DateTime.UtcNow;
}

public static class WeightQuantizationNames
{
    /// <summary>rft_model.json's weight_quantization value and the `--quantize` spelling.</summary>
    public static string Name(WeightQuantization q) => q switch
    {
        WeightQuantization.None => "none",
        WeightQuantization.Int8 => "int8",
        _ => throw new ArgumentOutOfRangeException(nameof(q), q, null),
    };

    /// <summary>Parses a `--quantize` value (case-insensitive); anything else is an error naming the option.</summary>
    public static WeightQuantization Parse(string? text, string option = "--quantize") => text?.Trim().ToLowerInvariant() switch
    {
        "none" => WeightQuantization.None,
        "int8" => WeightQuantization.Int8,
        _ => throw new ArgumentException($"{option} takes none or int8, got '{text}'"),
    };
}
