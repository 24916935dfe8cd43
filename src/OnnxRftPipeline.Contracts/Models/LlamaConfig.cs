using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// A checkpoint's config.json with Hugging Face field names: the ones `rft train` writes and the ones
/// transformers' save_pretrained writes for LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM.
/// The architecture it describes (shared by trainer and exporter): pre-norm decoder blocks, RMSNorm
/// (x·rsqrt(mean(x²)+eps)·w), rotary positions in HF's rotate_half layout with the inverse frequencies of
/// <see cref="RopeScaling"/>, grouped KV heads of <see cref="HeadDim"/>, SwiGLU MLP down(silu(gate(x))·up(x)),
/// optional q/k/v (and o) biases, optional tied embeddings.
/// Fields this class does not model are kept as they were (<see cref="Extra"/>) so a fine-tuned checkpoint
/// keeps its architectures, model_type and everything else transformers needs. A value the product cannot
/// honour exactly is refused naming the field; nothing is approximated.
/// </summary>
public sealed class LlamaConfig
{
    /// <summary>The model types the product implements, with the architecture class transformers names for each.</summary>
    public static readonly IReadOnlyDictionary<string, string> Architectures = new Dictionary<string, string>
    {
        ["llama"] = "LlamaForCausalLM",
        ["mistral"] = "MistralForCausalLM",
        ["qwen2"] = "Qwen2ForCausalLM",
    };

    [JsonPropertyName("architectures")] public string[] ArchitectureNames { get; set; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "llama";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; }
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; }
    /// <summary>Explicit head size (Mistral, Qwen3-style configs); absent means hidden_size / num_attention_heads.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimOverride { get; set; }
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; }
    /// <summary>Older files' rope base; transformers 5 writes rope_parameters.rope_theta instead (which wins when both exist).</summary>
    [JsonPropertyName("rope_theta")] public double? RopeThetaField { get; set; }
    /// <summary>Older files' rope scaling ({"type" or "rope_type", "factor", ...}).</summary>
    [JsonPropertyName("rope_scaling")] public JsonObject? RopeScalingField { get; set; }
    /// <summary>transformers 5's rope settings ({"rope_type", "rope_theta", "factor", ...}).</summary>
    [JsonPropertyName("rope_parameters")] public JsonObject? RopeParameters { get; set; }
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-5;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; }
    /// <summary>Llama's switch for biases on q/k/v and o; Qwen2 always has q/k/v biases and no such field.</summary>
    [JsonPropertyName("attention_bias")] public bool? AttentionBiasField { get; set; }
    [JsonPropertyName("mlp_bias")] public bool? MlpBias { get; set; }
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; set; }
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; set; }
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; set; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; set; }
    /// <summary>One id or a list (Llama-3 instruct models end turns with several).</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(IntOrIntArrayConverter))] public int[] EosTokenIds { get; set; } = [];
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; set; }
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; set; } = "float32";
    /// <summary>transformers 5's name for torch_dtype; kept in step with it when present.</summary>
    [JsonPropertyName("dtype")] public string? Dtype { get; set; }

    /// <summary>Every other field of the file, written back unchanged.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The first end-of-sequence id (the one a training example ends with when the tokenizer names none).</summary>
    [JsonIgnore] public int EosTokenId { get => EosTokenIds.Length > 0 ? EosTokenIds[0] : -1; set => EosTokenIds = [value]; }
    [JsonIgnore] public int HeadDim => HeadDimOverride ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);
    /// <summary>Biases on the q, k and v projections: Qwen2 always, Llama when attention_bias is true.</summary>
    [JsonIgnore] public bool QkvBias => ModelType == "qwen2" || AttentionBiasField == true;
    /// <summary>A bias on o_proj: Llama with attention_bias true (Qwen2's o_proj has none).</summary>
    [JsonIgnore] public bool OutputBias => ModelType == "llama" && AttentionBiasField == true;
    [JsonIgnore] public RopeScaling Rope => RopeScaling.From(this, "config.json");
    [JsonIgnore] public double RopeTheta { get => Rope.Theta; set { RopeThetaField = value; RopeParameters?.Remove("rope_theta"); } }

    /// <summary>
    /// The longest sequence the model computes exactly. A sliding attention window shorter than
    /// max_position_embeddings caps it: within the window sliding and full attention agree, beyond it they differ
    /// and the product implements only full attention.
    /// </summary>
    [JsonIgnore] public int ContextLimit
    {
        get
        {
            bool sliding = SlidingWindow is > 0 && (ModelType != "qwen2" || UseSlidingWindow == true);
            return sliding ? Math.Min(MaxPositionEmbeddings, SlidingWindow!.Value) : MaxPositionEmbeddings;
        }
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static LlamaConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config.json missing", path);
        LlamaConfig? c;
        try
        {
            var text = File.ReadAllText(path);
            c = JsonSerializer.Deserialize<LlamaConfig>(text, Json);
            if (c is not null && JsonNode.Parse(text) is JsonObject o)
                c.explicitNulls = o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList();
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid config.json ({e.Message})"); }
        if (c is null) throw new InvalidDataException($"{path}: empty config.json");
        c.Validate(path);
        return c;
    }

    /// <summary>Fields the source file set to null. Written back as null: for transformers an absent field means the class
    /// default, which is not always null (MistralConfig's sliding_window defaults to 4096, LlamaConfig's bos_token_id to 1).</summary>
    List<string> explicitNulls = [];

    public void Save(string path)
    {
        // The trainer writes float32 weights whatever the source checkpoint held.
        TorchDtype = "float32";
        if (Dtype is not null) Dtype = "float32";
        var json = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        foreach (var key in explicitNulls)
            if (!json.ContainsKey(key)) json[key] = null;
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, json.ToJsonString(Json));
        File.Move(tmp, path, overwrite: true);
    }

    public void Validate(string source = "config")
    {
        void Need(bool ok, string field, string why) { if (!ok) throw new InvalidDataException($"{source}: {field} {why}"); }
        Need(Architectures.ContainsKey(ModelType ?? ""), "model_type",
            $"'{ModelType}' is not supported (supported: {string.Join(", ", Architectures.Keys)})");
        var arch = Architectures[ModelType!];
        Need(ArchitectureNames is { Length: 1 } && ArchitectureNames[0] == arch, "architectures",
            $"[{string.Join(", ", ArchitectureNames ?? [])}] is not supported for model_type {ModelType} (expected [{arch}])");
        Need(HiddenSize > 0, "hidden_size", "must be positive");
        Need(NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Need(NumAttentionHeads > 0, "num_attention_heads", "must be positive");
        Need(HeadDimOverride is not null || HiddenSize % NumAttentionHeads == 0, "num_attention_heads", "must divide hidden_size (or head_dim must be given)");
        Need(HeadDimOverride is null or > 0, "head_dim", "must be positive");
        Need(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads", "must divide num_attention_heads");
        Need(HeadDim % 2 == 0, "head_dim", $"({HeadDim}) must be even for rotary positions");
        Need(IntermediateSize > 0, "intermediate_size", "must be positive");
        Need(VocabSize > 0, "vocab_size", "must be positive");
        Need(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Need(RmsNormEps > 0 && double.IsFinite(RmsNormEps), "rms_norm_eps", "must be a positive finite number");
        Need(HiddenAct is null or "silu", "hidden_act", $"'{HiddenAct}' is not supported (only silu, the SwiGLU MLP)");
        Need(MlpBias != true, "mlp_bias", "true is not supported (MLP projections without biases only)");
        Need(SlidingWindow is null or > 0, "sliding_window", "must be positive");
        foreach (var id in EosTokenIds) Need(id >= 0 && id < VocabSize, "eos_token_id", $"({id}) must be in [0, vocab_size)");
        Need(BosTokenId is null || (BosTokenId >= 0 && BosTokenId < VocabSize), "bos_token_id", $"({BosTokenId}) must be in [0, vocab_size)");
        Need(PadTokenId is null || (PadTokenId >= 0 && PadTokenId < VocabSize), "pad_token_id", $"({PadTokenId}) must be in [0, vocab_size)");
        _ = RopeScaling.From(this, source);
    }

    /// <summary>Hugging Face tensor names of a Llama / Mistral / Qwen2 checkpoint.</summary>
    public static class Names
    {
        public const string Embed = "model.embed_tokens.weight";
        public const string FinalNorm = "model.norm.weight";
        public const string LmHead = "lm_head.weight";
        public static string InputNorm(int l) => $"model.layers.{l}.input_layernorm.weight";
        public static string PostAttnNorm(int l) => $"model.layers.{l}.post_attention_layernorm.weight";
        public static string Q(int l) => $"model.layers.{l}.self_attn.q_proj.weight";
        public static string K(int l) => $"model.layers.{l}.self_attn.k_proj.weight";
        public static string V(int l) => $"model.layers.{l}.self_attn.v_proj.weight";
        public static string O(int l) => $"model.layers.{l}.self_attn.o_proj.weight";
        public static string QBias(int l) => $"model.layers.{l}.self_attn.q_proj.bias";
        public static string KBias(int l) => $"model.layers.{l}.self_attn.k_proj.bias";
        public static string VBias(int l) => $"model.layers.{l}.self_attn.v_proj.bias";
        public static string OBias(int l) => $"model.layers.{l}.self_attn.o_proj.bias";
        public static string Gate(int l) => $"model.layers.{l}.mlp.gate_proj.weight";
        public static string Up(int l) => $"model.layers.{l}.mlp.up_proj.weight";
        public static string Down(int l) => $"model.layers.{l}.mlp.down_proj.weight";
    }

    /// <summary>Every tensor the architecture has, with its shape, in HF names ([out, in] for linear weights).</summary>
    public IEnumerable<(string Name, long[] Shape)> ExpectedTensors()
    {
        long h = HiddenSize, d = HeadDim, q = NumAttentionHeads * d, kv = NumKeyValueHeads * d, f = IntermediateSize, v = VocabSize;
        yield return (Names.Embed, [v, h]);
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            yield return (Names.InputNorm(l), [h]);
            yield return (Names.Q(l), [q, h]);
            yield return (Names.K(l), [kv, h]);
            yield return (Names.V(l), [kv, h]);
            if (QkvBias)
            {
                yield return (Names.QBias(l), [q]);
                yield return (Names.KBias(l), [kv]);
                yield return (Names.VBias(l), [kv]);
            }
            yield return (Names.O(l), [h, q]);
            if (OutputBias) yield return (Names.OBias(l), [h]);
            yield return (Names.PostAttnNorm(l), [h]);
            yield return (Names.Gate(l), [f, h]);
            yield return (Names.Up(l), [f, h]);
            yield return (Names.Down(l), [h, f]);
        }
        yield return (Names.FinalNorm, [h]);
        if (!TieWordEmbeddings) yield return (Names.LmHead, [v, h]);
    }
}
