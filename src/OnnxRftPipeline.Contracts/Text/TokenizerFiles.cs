using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Text;

/// <summary>
/// Writes and reads a tokenizer as Hugging Face files (tokenizer.json + tokenizer_config.json), the
/// format onnxruntime-genai and Microsoft.ML.Tokenizers load. The byte tokenizer is expressed as a
/// byte-level BPE with 256 single-byte tokens and no merges, so id == byte value, as in ByteTokenizer.
/// </summary>
public static class TokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";
    public static readonly string[] All = [TokenizerJson, TokenizerConfigJson];

    public static void Write(string dir, ITokenizer tok)
    {
        if (tok is not ByteTokenizer) throw new NotSupportedException($"cannot write tokenizer {tok.GetType().Name}");
        Directory.CreateDirectory(dir);
        var byteChars = ByteLevelAlphabet();
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[byteChars[b].ToString()] = b;
        JsonObject Special(int id, string content) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
            ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Special(tok.BosId, "<s>"), Special(tok.EosId, "</s>"), Special(tok.PadId, "<pad>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = null,
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["pad_token"] = "<pad>",
            ["add_bos_token"] = true, ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
        };
        WriteAtomic(Path.Combine(dir, TokenizerJson), json.ToJsonString(new() { WriteIndented = true }));
        WriteAtomic(Path.Combine(dir, TokenizerConfigJson), config.ToJsonString(new() { WriteIndented = true }));
    }

    /// <summary>Loads the tokenizer a checkpoint or model folder carries.</summary>
    public static ITokenizer Load(string dir)
    {
        var path = Path.Combine(dir, TokenizerJson);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file missing", path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var model = json["model"];
        var vocab = model?["vocab"]?.AsObject();
        bool isByteLevel = model?["type"]?.GetValue<string>() == "BPE" && vocab is { Count: 256 }
                           && (model["merges"]?.AsArray().Count ?? 0) == 0;
        if (!isByteLevel)
            throw new NotSupportedException($"{path}: only the byte-level tokenizer is supported so far (model.type BPE, 256-entry vocab, no merges)");
        var chars = ByteLevelAlphabet();
        for (int b = 0; b < 256; b++)
            if (vocab![chars[b].ToString()]?.GetValue<int>() != b)
                throw new InvalidDataException($"{path}: byte {b} is not mapped to id {b}");
        return new ByteTokenizer();
    }

    /// <summary>GPT-2's byte-to-printable-character table used by byte-level BPE files.</summary>
    static char[] ByteLevelAlphabet()
    {
        var bs = new List<int>();
        for (int c = '!'; c <= '~'; c++) bs.Add(c);
        for (int c = 0xA1; c <= 0xAC; c++) bs.Add(c);
        for (int c = 0xAE; c <= 0xFF; c++) bs.Add(c);
        var cs = new List<int>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!bs.Contains(b)) { bs.Add(b); cs.Add(256 + n++); }
        var map = new char[256];
        for (int i = 0; i < bs.Count; i++) map[bs[i]] = (char)cs[i];
        return map;
    }

    static void WriteAtomic(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
