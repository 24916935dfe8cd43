using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Text;

/// <summary>
/// Writes and reads a tokenizer as Hugging Face files (tokenizer.json + tokenizer_config.json), the
/// format transformers and onnxruntime-genai load. The byte tokenizer is expressed as a byte-level BPE
/// with 256 single-byte tokens and no merges, so id == byte value, as in ByteTokenizer; any other file is
/// a checkpoint's own tokenizer (<see cref="HfTokenizer"/>), whose files are carried along unchanged.
/// </summary>
public static class TokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";
    public static readonly string[] All = [TokenizerJson, TokenizerConfigJson];
    /// <summary>Files a Hugging Face tokenizer may come with besides <see cref="All"/>; copied along when present.</summary>
    public static readonly string[] Optional = ["special_tokens_map.json", "chat_template.jinja", PromptTemplate.FileName];

    /// <summary>
    /// Writes a tokenizer's files into <paramref name="dir"/>: the byte tokenizer's generated files, or a checkpoint
    /// tokenizer's own files copied unchanged.
    /// </summary>
    public static void Write(string dir, ITokenizer tok)
    {
        Directory.CreateDirectory(dir);
        if (tok is TemplatedTokenizer t)
        {
            Write(dir, t.Inner);
            t.Template.Save(dir);
            return;
        }
        if (tok is HfTokenizer hf)
        {
            CopyFiles(hf.SourceDir, dir);
            // A bare tokenizer means the plain template, whatever its source folder had.
            PromptTemplate.Plain.Save(dir);
            return;
        }
        if (tok is not ByteTokenizer) throw new NotSupportedException($"cannot write tokenizer {tok.GetType().Name}");
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

    /// <summary>Copies a tokenizer's files (required and optional) from one folder to another.</summary>
    public static void CopyFiles(string fromDir, string toDir)
    {
        foreach (var f in All)
        {
            var src = Path.Combine(fromDir, f);
            if (!File.Exists(src)) throw new FileNotFoundException($"{src}: tokenizer file missing", src);
            File.Copy(src, Path.Combine(toDir, f), overwrite: true);
        }
        foreach (var f in Optional)
            if (File.Exists(Path.Combine(fromDir, f))) File.Copy(Path.Combine(fromDir, f), Path.Combine(toDir, f), overwrite: true);
    }

    /// <summary>
    /// Loads the tokenizer a checkpoint or model folder carries: the bundled byte tokenizer when the file is exactly
    /// the one <see cref="Write"/> makes for it, otherwise the file itself through <see cref="HfTokenizer"/>.
    /// <paramref name="fallbacks"/> (the model config's special ids) fill in what tokenizer_config.json leaves out.
    /// </summary>
    public static ITokenizer Load(string dir, HfTokenizer.Fallbacks? fallbacks = null)
    {
        var path = Path.Combine(dir, TokenizerJson);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file missing", path);
        JsonNode json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty tokenizer file"); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})"); }
        ITokenizer tok = IsByteTokenizer(json) ? new ByteTokenizer() : HfTokenizer.Load(dir, fallbacks);
        return TemplatedTokenizer.With(tok, PromptTemplate.Load(dir));
    }

    /// <summary>The byte tokenizer's file: a 256-entry byte-level vocab with no merges, id == byte, and bos/eos/pad at 256..258.</summary>
    static bool IsByteTokenizer(JsonNode json)
    {
        var model = json["model"];
        if (model?["vocab"] is not JsonObject vocab || vocab.Count != 256 || model["type"]?.GetValue<string>() != "BPE"
            || (model["merges"] as JsonArray)?.Count is not (null or 0))
            return false;
        var chars = ByteLevelAlphabet();
        for (int b = 0; b < 256; b++)
            if (vocab[chars[b].ToString()] is not JsonValue v || !v.TryGetValue(out int id) || id != b) return false;
        var added = (json["added_tokens"] as JsonArray)?.Select(a => (a?["id"]?.GetValue<int>(), a?["content"]?.GetValue<string>())).ToList() ?? [];
        return added.Count == 3 && added.Contains((ByteTokenizer.Bos, "<s>")) && added.Contains((ByteTokenizer.Eos, "</s>")) && added.Contains((ByteTokenizer.Pad, "<pad>"));
    }

    /// <summary>GPT-2's byte-to-printable-character table used by byte-level BPE files.</summary>
    public static char[] ByteLevelAlphabet()
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
