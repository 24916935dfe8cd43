using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// genai_config.json of an onnxruntime-genai model folder. GenAI parses it strictly (an unknown key
/// is an error), so these classes hold only keys GenAI knows and reading rejects unknown keys the
/// same way; our own metadata lives in rft_model.json (<see cref="RftModelInfo"/>).
/// </summary>
public sealed class GenAiConfig
{
    public const string FileName = "genai_config.json";

    [JsonPropertyName("model")] public GenAiModel Model { get; set; } = new();
    [JsonPropertyName("search")] public GenAiSearch Search { get; set; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static GenAiConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {FileName} missing", path);
        GenAiConfig? c;
        try { c = JsonSerializer.Deserialize<GenAiConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid {FileName} ({e.Message})"); }
        if (c is null) throw new InvalidDataException($"{path}: empty {FileName}");
        c.Validate(path);
        return c;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Validate(string source)
    {
        void Need(bool ok, string field, string why) { if (!ok) throw new InvalidDataException($"{source}: {field} {why}"); }
        var m = Model; var d = m.Decoder;
        Need(!string.IsNullOrEmpty(m.Type), "model.type", "is missing");
        Need(m.ContextLength > 0, "model.context_length", "must be positive");
        Need(m.VocabSize > 0, "model.vocab_size", "must be positive");
        Need(m.EosTokenId is { Length: > 0 }, "model.eos_token_id", "is missing");
        foreach (var (id, field) in m.EosTokenId.Select(e => (e, "model.eos_token_id")).Append((m.BosTokenId, "model.bos_token_id")).Append((m.PadTokenId, "model.pad_token_id")))
            Need(id >= 0 && id < m.VocabSize, field, $"({id}) must be in [0, vocab_size)");
        Need(!string.IsNullOrEmpty(d.Filename), "model.decoder.filename", "is missing");
        Need(d.Filename == Path.GetFileName(d.Filename), "model.decoder.filename", "must be a file name inside the folder");
        Need(d.HeadSize > 0, "model.decoder.head_size", "must be positive");
        Need(d.NumAttentionHeads > 0, "model.decoder.num_attention_heads", "must be positive");
        // head_size is not always hidden_size / num_attention_heads (Mistral and Qwen3-style configs set head_dim).
        Need(d.HiddenSize > 0, "model.decoder.hidden_size", "must be positive");
        Need(d.NumKeyValueHeads > 0 && d.NumAttentionHeads % d.NumKeyValueHeads == 0, "model.decoder.num_key_value_heads", "must divide num_attention_heads");
        Need(d.NumHiddenLayers > 0, "model.decoder.num_hidden_layers", "must be positive");
        Need(!string.IsNullOrEmpty(d.Inputs.InputIds), "model.decoder.inputs.input_ids", "is missing");
        Need(d.Inputs.PastKeyNames.Contains("%d"), "model.decoder.inputs.past_key_names", "must contain %d");
        Need(d.Inputs.PastValueNames.Contains("%d"), "model.decoder.inputs.past_value_names", "must contain %d");
        Need(!string.IsNullOrEmpty(d.Outputs.Logits), "model.decoder.outputs.logits", "is missing");
        Need(d.Outputs.PresentKeyNames.Contains("%d"), "model.decoder.outputs.present_key_names", "must contain %d");
        Need(d.Outputs.PresentValueNames.Contains("%d"), "model.decoder.outputs.present_value_names", "must contain %d");
        Need(Search.MaxLength >= 0 && Search.MaxLength <= m.ContextLength, "search.max_length", "must be in [0, context_length]");
    }
}

public sealed class GenAiModel
{
    /// <summary>"llama" for our exports; GenAI also accepts the generic "decoder".</summary>
    [JsonPropertyName("type")] public string Type { get; set; } = "llama";
    [JsonPropertyName("context_length")] public int ContextLength { get; set; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; }
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; set; }
    /// <summary>GenAI accepts a number or an array; written as a number when there is one id.</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(IntOrIntArrayConverter))] public int[] EosTokenId { get; set; } = [];
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }
    [JsonPropertyName("decoder")] public GenAiDecoder Decoder { get; set; } = new();
}

public sealed class GenAiDecoder
{
    [JsonPropertyName("filename")] public string Filename { get; set; } = "model.onnx";
    [JsonPropertyName("head_size")] public int HeadSize { get; set; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; }
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; }
    /// <summary>Free-form ORT session options (GenAI does not check keys inside it).</summary>
    [JsonPropertyName("session_options")] public JsonObject SessionOptions { get; set; } = new();
    [JsonPropertyName("inputs")] public GenAiInputs Inputs { get; set; } = new();
    [JsonPropertyName("outputs")] public GenAiOutputs Outputs { get; set; } = new();

    public string PastKeyName(int layer) => Inputs.PastKeyNames.Replace("%d", layer.ToString());
    public string PastValueName(int layer) => Inputs.PastValueNames.Replace("%d", layer.ToString());
    public string PresentKeyName(int layer) => Outputs.PresentKeyNames.Replace("%d", layer.ToString());
    public string PresentValueName(int layer) => Outputs.PresentValueNames.Replace("%d", layer.ToString());
}

public sealed class GenAiInputs
{
    [JsonPropertyName("input_ids")] public string InputIds { get; set; } = "input_ids";
    [JsonPropertyName("attention_mask")] public string AttentionMask { get; set; } = "attention_mask";
    [JsonPropertyName("position_ids")] public string PositionIds { get; set; } = "position_ids";
    [JsonPropertyName("past_key_names")] public string PastKeyNames { get; set; } = "past_key_values.%d.key";
    [JsonPropertyName("past_value_names")] public string PastValueNames { get; set; } = "past_key_values.%d.value";
}

public sealed class GenAiOutputs
{
    [JsonPropertyName("logits")] public string Logits { get; set; } = "logits";
    [JsonPropertyName("present_key_names")] public string PresentKeyNames { get; set; } = "present.%d.key";
    [JsonPropertyName("present_value_names")] public string PresentValueNames { get; set; } = "present.%d.value";
}

/// <summary>Generation defaults GenAI reads; our sampler takes its own settings but starts from these.</summary>
public sealed class GenAiSearch
{
    [JsonPropertyName("do_sample")] public bool DoSample { get; set; } = true;
    /// <summary>Prompt plus generated tokens; 0 means context_length.</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; set; }
    [JsonPropertyName("min_length")] public int MinLength { get; set; }
    [JsonPropertyName("num_beams")] public int NumBeams { get; set; } = 1;
    [JsonPropertyName("num_return_sequences")] public int NumReturnSequences { get; set; } = 1;
    [JsonPropertyName("top_k")] public int TopK { get; set; } = 0;
    [JsonPropertyName("top_p")] public double TopP { get; set; } = 1.0;
    [JsonPropertyName("temperature")] public double Temperature { get; set; } = 1.0;
    [JsonPropertyName("repetition_penalty")] public double RepetitionPenalty { get; set; } = 1.0;
    /// <summary>False: our graph concatenates past and new K/V, so present is a new, longer buffer.</summary>
    [JsonPropertyName("past_present_share_buffer")] public bool PastPresentShareBuffer { get; set; }
    [JsonPropertyName("early_stopping")] public bool EarlyStopping { get; set; } = true;
    [JsonPropertyName("length_penalty")] public double LengthPenalty { get; set; } = 1.0;
    [JsonPropertyName("no_repeat_ngram_size")] public int NoRepeatNgramSize { get; set; }
    [JsonPropertyName("random_seed")] public int? RandomSeed { get; set; }
}

sealed class IntOrIntArrayConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a number or an array of numbers");
        var list = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected numbers in the array");
            list.Add(reader.GetInt32());
        }
        return list.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) { writer.WriteNumberValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
