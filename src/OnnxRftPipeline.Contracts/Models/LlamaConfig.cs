using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// A checkpoint's config.json, with Hugging Face Llama field names so other tools can read our
/// checkpoints. The architecture it describes (shared by trainer and exporter):
/// pre-norm decoder blocks, RMSNorm (x·rsqrt(mean(x²)+eps)·w), rotary positions in HF's
/// rotate_half layout (inv_freq_i = theta^(-2i/head_dim), cos/sin duplicated over the two halves),
/// grouped KV heads, SwiGLU MLP down(silu(gate(x))·up(x)), no biases, optional tied embeddings.
/// </summary>
public sealed class LlamaConfig
{
    [JsonPropertyName("architectures")] public string[] Architectures { get; set; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "llama";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; }
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; }
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; }
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; set; } = 10000.0;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-5;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; }
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; set; }
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; set; }
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; set; } = "float32";

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static LlamaConfig Load(string path)
    {
        LlamaConfig? c;
        try { c = JsonSerializer.Deserialize<LlamaConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid config.json ({e.Message})"); }
        if (c is null) throw new InvalidDataException($"{path}: empty config.json");
        c.Validate(path);
        return c;
    }

    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public void Validate(string source = "config")
    {
        void Need(bool ok, string field, string why) { if (!ok) throw new InvalidDataException($"{source}: {field} {why}"); }
        Need(HiddenSize > 0, "hidden_size", "must be positive");
        Need(NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Need(NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads == 0, "num_attention_heads", "must divide hidden_size");
        Need(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads", "must divide num_attention_heads");
        Need(HeadDim % 2 == 0, "hidden_size/num_attention_heads", "(head_dim) must be even for rotary positions");
        Need(IntermediateSize > 0, "intermediate_size", "must be positive");
        Need(VocabSize > 0, "vocab_size", "must be positive");
        Need(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
    }

    /// <summary>Hugging Face tensor names of a Llama checkpoint.</summary>
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
        public static string Gate(int l) => $"model.layers.{l}.mlp.gate_proj.weight";
        public static string Up(int l) => $"model.layers.{l}.mlp.up_proj.weight";
        public static string Down(int l) => $"model.layers.{l}.mlp.down_proj.weight";
    }
}
