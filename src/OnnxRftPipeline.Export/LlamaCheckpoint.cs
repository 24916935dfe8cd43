using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export;

/// <summary>
/// A checkpoint folder (config.json, model.safetensors or sharded safetensors with their index, tokenizer files) opened
/// and checked against the Llama-family layout before any graph is built: a missing file, an unsupported setting, a
/// missing shard or a shape that disagrees with config.json fails naming the file and field, and nothing is written.
/// Tensors are read on demand (<see cref="Tensor"/>), one at a time, so the export never holds the checkpoint whole.
/// </summary>
public sealed class LlamaCheckpoint
{
    public const string WeightsFile = CheckpointWeights.SingleFile;
    public const string ConfigFile = "config.json";

    public required string Dir { get; init; }
    public required LlamaConfig Config { get; init; }
    public required CheckpointWeights Weights { get; init; }
    public required ITokenizer Tokenizer { get; init; }

    /// <summary>The output projection [vocab, hidden]: lm_head.weight, or the embedding when tied.</summary>
    public string LmHeadName => Config.TieWordEmbeddings ? LlamaConfig.Names.Embed : LlamaConfig.Names.LmHead;

    /// <summary>Reads one tensor as float32; a non-finite value is an error naming the file and the tensor.</summary>
    public NamedTensor Tensor(string name)
    {
        var t = Weights.Tensor(name);
        for (int i = 0; i < t.Data.Length; i++)
            if (!float.IsFinite(t.Data[i]))
                throw new InvalidDataException($"{Weights.Entry(name).File}: tensor {name} holds a non-finite value at flat index {i}");
        return t;
    }

    public float[] this[string name] => Tensor(name).Data;

    public static LlamaCheckpoint Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: checkpoint folder not found");
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: checkpoint config missing", configPath);
        var config = LlamaConfig.Load(configPath);
        if (!CheckpointWeights.Exists(dir))
            throw new FileNotFoundException($"{Path.Combine(dir, WeightsFile)}: checkpoint weights missing (neither {WeightsFile} nor {CheckpointWeights.IndexFile})",
                Path.Combine(dir, WeightsFile));
        var weights = CheckpointWeights.Open(dir);
        weights.CheckAgainst(config, configPath);
        var tokenizer = TokenizerFiles.Load(dir, SpecialIds.Fallbacks(dir, config));
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{configPath}: vocab_size {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize}");
        return new LlamaCheckpoint { Dir = Path.GetFullPath(dir), Config = config, Weights = weights, Tokenizer = tokenizer };
    }
}
