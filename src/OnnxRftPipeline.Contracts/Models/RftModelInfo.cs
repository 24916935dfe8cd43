using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// rft_model.json: our metadata for a model folder, kept out of genai_config.json because GenAI
/// rejects keys it does not know. Records where the weights came from and how the graph was built.
/// </summary>
public sealed class RftModelInfo
{
    public const string FileName = "rft_model.json";
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; set; } = CurrentFormatVersion;
    [JsonPropertyName("model_name")] public string ModelName { get; set; } = "";
    [JsonPropertyName("model_version")] public string ModelVersion { get; set; } = "";
    /// <summary>Absolute path of the checkpoint folder at export time.</summary>
    [JsonPropertyName("source_checkpoint")] public string SourceCheckpoint { get; set; } = "";
    /// <summary>Lower-case hex SHA-256 of the checkpoint's model.safetensors.</summary>
    [JsonPropertyName("source_sha256")] public string SourceSha256 { get; set; } = "";
    [JsonPropertyName("exported_at_utc")] public DateTime ExportedAtUtc { get; set; }
    [JsonPropertyName("exporter")] public string Exporter { get; set; } = "";
    [JsonPropertyName("onnx_opset")] public int OnnxOpset { get; set; }
    /// <summary>Graph variant: "standard" (default ONNX ops only), "contrib" (com.microsoft CPU ops) or "standard-inplace" (default ops, opset 24, in-place cache).</summary>
    [JsonPropertyName("graph_ops")] public string GraphOps { get; set; } = "standard";
    /// <summary>
    /// How the projection weights are stored: "none" (fp32 MatMul) or "int8" (com.microsoft DynamicQuantizeMatMul: int8 weights,
    /// one symmetric scale per output column; approximate logits, needs ONNX Runtime). Folders written before the field existed read as "none".
    /// </summary>
    [JsonPropertyName("weight_quantization")] public string WeightQuantization { get; set; } = "none";
    /// <summary>Every file of the folder the model needs besides the tokenizer (model.onnx, model.onnx.data).</summary>
    [JsonPropertyName("model_files")] public string[] ModelFiles { get; set; } = [];
    /// <summary>Largest position the graph's rotary table covers; positions beyond are clamped.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; }

    /// <summary>The values this build's exporter writes (and its sampler knows how to run) for graph_ops and weight_quantization.</summary>
    public static readonly string[] KnownGraphOps = ["standard", "contrib", "standard-inplace"], KnownWeightQuantizations = ["none", "int8"];

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static RftModelInfo Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {FileName} missing", path);
        RftModelInfo? info;
        try { info = JsonSerializer.Deserialize<RftModelInfo>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid {FileName} ({e.Message})"); }
        if (info is null) throw new InvalidDataException($"{path}: empty {FileName}");
        void Need(bool ok, string field, string why) { if (!ok) throw new InvalidDataException($"{path}: {field} {why}"); }
        Need(info.FormatVersion == CurrentFormatVersion, "format_version", $"is {info.FormatVersion}, this build reads {CurrentFormatVersion}");
        Need(!string.IsNullOrEmpty(info.ModelName), "model_name", "is missing");
        Need(!string.IsNullOrEmpty(info.ModelVersion), "model_version", "is missing");
        Need(info.ModelFiles.Length > 0, "model_files", "is empty");
        // A value from a newer exporter would otherwise pass silently and be reported as if this build understood it.
        Need(KnownGraphOps.Contains(info.GraphOps), "graph_ops", $"is '{info.GraphOps}', expected one of {string.Join(", ", KnownGraphOps)}");
        Need(KnownWeightQuantizations.Contains(info.WeightQuantization), "weight_quantization",
            $"is '{info.WeightQuantization}', expected one of {string.Join(", ", KnownWeightQuantizations)}");
        foreach (var f in info.ModelFiles)
            Need(f == Path.GetFileName(f), "model_files", $"entry '{f}' must be a file name inside the folder");
        return info;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
