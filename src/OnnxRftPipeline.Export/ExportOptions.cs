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

public sealed record ExportOptions
{
    /// <summary>Replace an existing version folder. Without it an existing folder is an error.</summary>
    public bool Force { get; init; }
    /// <summary>Model name recorded in rft_model.json; default: the output folder's parent name (models/NAME/VERSION).</summary>
    public string? ModelName { get; init; }
    /// <summary>Version recorded in rft_model.json; default: the output folder's name.</summary>
    public string? ModelVersion { get; init; }
    public GraphOps Ops { get; init; } = GraphOps.Standard;
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
