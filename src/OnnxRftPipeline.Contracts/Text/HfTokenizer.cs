using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Text;

/// <summary>
/// A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) run by Hugging Face's own Rust `tokenizers` library
/// through Tokenizers.DotNet. Chosen over Microsoft.ML.Tokenizers (whose BPE does not read tokenizer.json's normalizer,
/// pre-tokenizer and post-processor pipeline) and GenAI's tokenizer (sampler-side, needs a model folder): running the
/// same library transformers runs is the only way ids equal AutoTokenizer's by construction, for byte-level BPE
/// (GPT-2 / Llama-3 / Qwen) and Metaspace BPE (Llama-2 / Mistral, byte fallback) alike.
/// Tokenizers.DotNet's Encode always adds special tokens, so "no special tokens" runs a second instance loaded from the
/// same file with its post-processor removed: add_special_tokens=False means exactly "the post-processor adds nothing".
/// </summary>
public sealed class HfTokenizer : ITokenizer, IDisposable
{
    readonly Tokenizers.DotNet.Tokenizer withSpecials, plain;
    // The native tokenizer is not documented as thread-safe; the service encodes from several request threads.
    readonly Lock gate = new();

    public string SourceDir { get; }
    public int VocabSize { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public IReadOnlySet<int> StopIds { get; }
    /// <summary>tokenizer_config.json's chat_template when it has one; the product does not render it (see README).</summary>
    public bool HasChatTemplate { get; }

    HfTokenizer(string dir, Tokenizers.DotNet.Tokenizer withSpecials, Tokenizers.DotNet.Tokenizer plain, int vocab, int bos, int eos, int pad,
        IReadOnlySet<int> stops, bool chat)
    {
        SourceDir = dir; this.withSpecials = withSpecials; this.plain = plain;
        VocabSize = vocab; BosId = bos; EosId = eos; PadId = pad; StopIds = stops; HasChatTemplate = chat;
    }

    /// <summary>Special ids the model's own config names, used where tokenizer_config.json names none.</summary>
    public sealed record Fallbacks(int? Bos, IReadOnlyList<int> Eos, int? Pad);

    public static HfTokenizer Load(string dir, Fallbacks? fallbacks = null)
    {
        var path = Path.Combine(dir, TokenizerFiles.TokenizerJson);
        var configPath = Path.Combine(dir, TokenizerFiles.TokenizerConfigJson);
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty tokenizer file"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})"); }
        var model = json["model"] as JsonObject ?? throw new InvalidDataException($"{path}: model is missing");
        var type = (model["type"] as JsonValue)?.ToString();
        if (type != "BPE") throw new InvalidDataException($"{path}: model.type '{type}' is not supported (BPE only: byte-level or Metaspace)");
        var vocab = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model.vocab is missing");

        var idsByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        int maxId = -1;
        foreach (var (token, idNode) in vocab)
        {
            int id = idNode!.GetValue<int>();
            idsByContent[token] = id;
            maxId = Math.Max(maxId, id);
        }
        if (json["added_tokens"] is JsonArray added)
            foreach (var a in added)
            {
                int id = a!["id"]!.GetValue<int>();
                idsByContent[a["content"]!.GetValue<string>()] = id;
                maxId = Math.Max(maxId, id);
            }

        JsonObject? config = null;
        if (File.Exists(configPath))
        {
            try { config = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject(); }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{configPath}: invalid JSON ({e.Message})"); }
        }
        int? Special(string field)
        {
            var node = config?[field];
            var content = node switch { JsonValue v when v.TryGetValue(out string? s) => s, JsonObject o => o["content"]?.GetValue<string>(), _ => null };
            if (content is null) return null;
            if (!idsByContent.TryGetValue(content, out var id))
                throw new InvalidDataException($"{configPath}: {field} '{content}' is not a token of {path}");
            return id;
        }
        var eosList = fallbacks?.Eos ?? [];
        int eos = Special("eos_token") ?? (eosList.Count > 0 ? eosList[0] : throw new InvalidDataException(
            $"{configPath}: eos_token is missing and the model's config names no eos_token_id"));
        int bos = Special("bos_token") ?? fallbacks?.Bos ?? -1;
        int pad = Special("pad_token") ?? fallbacks?.Pad ?? eos;
        var stops = new HashSet<int>(eosList) { eos };
        bool chat = config?["chat_template"] is not null;

        var tmp = Path.Combine(Path.GetTempPath(), $"rft-tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            var full = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.GetFullPath(path));
            json["post_processor"] = null;
            File.WriteAllText(tmp, json.ToJsonString());
            var noSpecials = new Tokenizers.DotNet.Tokenizer(vocabPath: tmp);
            return new HfTokenizer(Path.GetFullPath(dir), full, noSpecials, maxId + 1, bos, eos, pad, stops, chat);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path}: the tokenizers library cannot load it ({e.Message})");
        }
        finally { File.Delete(tmp); }
    }

    public int[] Encode(string text) => Run(plain, text);
    public int[] EncodeModelInput(string text) => Run(withSpecials, text);

    int[] Run(Tokenizers.DotNet.Tokenizer t, string text)
    {
        uint[] ids;
        lock (gate) ids = t.Encode(text);
        return Array.ConvertAll(ids, x => (int)x);
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var keep = new List<uint>(ids.Length);
        foreach (var id in ids) if (id >= 0 && id < VocabSize) keep.Add((uint)id);
        if (keep.Count == 0) return "";
        lock (gate) return withSpecials.Decode(keep.ToArray());
    }

    public void Dispose() { withSpecials.Dispose(); plain.Dispose(); }
}
