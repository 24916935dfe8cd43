using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// The special ids a checkpoint's configs name (config.json, and generation_config.json where transformers keeps the ids
/// generation stops at), used where tokenizer_config.json leaves them out: Qwen2 names no bos token, Llama-3 instruct
/// models end turns with several eos ids.
/// </summary>
public static class SpecialIds
{
    public const string GenerationConfigFile = "generation_config.json";

    public static HfTokenizer.Fallbacks Fallbacks(string dir, LlamaConfig c)
    {
        var eos = new List<int>(c.EosTokenIds);
        var path = Path.Combine(dir, GenerationConfigFile);
        if (File.Exists(path))
        {
            try
            {
                switch (JsonNode.Parse(File.ReadAllText(path))?["eos_token_id"])
                {
                    case JsonValue v when v.TryGetValue(out int id): eos.Add(id); break;
                    case JsonArray a: eos.AddRange(a.Select(x => x!.GetValue<int>())); break;
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            { throw new InvalidDataException($"{path}: eos_token_id must be a number or a list of numbers ({e.Message})"); }
        }
        foreach (var id in eos)
            if (id < 0 || id >= c.VocabSize) throw new InvalidDataException($"{path}: eos_token_id {id} is outside the vocabulary [0, {c.VocabSize})");
        return new HfTokenizer.Fallbacks(c.BosTokenId, eos.Distinct().ToList(), c.PadTokenId);
    }
}
