using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export;

/// <summary>
/// A checkpoint folder (model.safetensors, config.json, tokenizer files) read and checked against
/// the Llama layout before any graph is built, so a bad checkpoint fails with the tensor or field
/// it lacks and nothing is written.
/// </summary>
public sealed class LlamaCheckpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";

    public required string Dir { get; init; }
    public required LlamaConfig Config { get; init; }
    public required IReadOnlyDictionary<string, NamedTensor> Tensors { get; init; }
    public required ITokenizer Tokenizer { get; init; }

    public float[] this[string name] => Tensors[name].Data;

    /// <summary>The output projection [vocab, hidden]: lm_head.weight, or the embedding when tied.</summary>
    public string LmHeadName => Config.TieWordEmbeddings ? LlamaConfig.Names.Embed : LlamaConfig.Names.LmHead;

    public static LlamaCheckpoint Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: checkpoint folder not found");
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: checkpoint config missing", configPath);
        var config = LlamaConfig.Load(configPath);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: checkpoint weights missing", weightsPath);
        var tensors = SafeTensors.Read(weightsPath);
        CheckTensors(weightsPath, config, tensors);
        var tokenizer = TokenizerFiles.Load(dir);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{configPath}: vocab_size {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize}");
        return new LlamaCheckpoint { Dir = Path.GetFullPath(dir), Config = config, Tensors = tensors, Tokenizer = tokenizer };
    }

    /// <summary>Every tensor the architecture needs with its expected shape.</summary>
    public static IEnumerable<(string Name, long[] Shape)> ExpectedTensors(LlamaConfig c)
    {
        long h = c.HiddenSize, d = c.HeadDim, q = c.NumAttentionHeads * d, kv = c.NumKeyValueHeads * d, f = c.IntermediateSize, v = c.VocabSize;
        yield return (LlamaConfig.Names.Embed, [v, h]);
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            yield return (LlamaConfig.Names.InputNorm(l), [h]);
            yield return (LlamaConfig.Names.Q(l), [q, h]);
            yield return (LlamaConfig.Names.K(l), [kv, h]);
            yield return (LlamaConfig.Names.V(l), [kv, h]);
            yield return (LlamaConfig.Names.O(l), [h, q]);
            yield return (LlamaConfig.Names.PostAttnNorm(l), [h]);
            yield return (LlamaConfig.Names.Gate(l), [f, h]);
            yield return (LlamaConfig.Names.Up(l), [f, h]);
            yield return (LlamaConfig.Names.Down(l), [h, f]);
        }
        yield return (LlamaConfig.Names.FinalNorm, [h]);
        if (!c.TieWordEmbeddings) yield return (LlamaConfig.Names.LmHead, [v, h]);
    }

    static void CheckTensors(string path, LlamaConfig c, Dictionary<string, NamedTensor> tensors)
    {
        foreach (var (name, shape) in ExpectedTensors(c))
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new InvalidDataException($"{path}: tensor {name} missing" +
                    (name == LlamaConfig.Names.LmHead ? " (config.json has tie_word_embeddings false)" : ""));
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{path}: tensor {name} has shape [{string.Join(",", t.Shape)}], config.json implies [{string.Join(",", shape)}]");
            for (int i = 0; i < t.Data.Length; i++)
                if (!float.IsFinite(t.Data[i]))
                    throw new InvalidDataException($"{path}: tensor {name} holds a non-finite value at flat index {i}");
        }
        var expected = ExpectedTensors(c).Select(e => e.Name).ToHashSet();
        var extra = tensors.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal).ToList();
        // An unused tensor usually means the config and weights disagree (e.g. layer count, tying).
        if (extra.Count > 0)
            throw new InvalidDataException($"{path}: tensor {extra[0]} is not part of the model config.json describes" +
                (extra.Count > 1 ? $" (and {extra.Count - 1} more)" : ""));
    }
}
