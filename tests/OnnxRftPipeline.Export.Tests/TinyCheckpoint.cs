using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>Writes small random Llama checkpoints (safetensors + config.json + tokenizer) for tests.</summary>
public static class TinyCheckpoint
{
    public static LlamaConfig Config(bool tied, int kvHeads, int heads = 4, int hidden = 32, int layers = 2) => new()
    {
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        IntermediateSize = 48,
        VocabSize = ByteTokenizer.Size,
        MaxPositionEmbeddings = 64,
        RopeTheta = 10000.0,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        BosTokenId = ByteTokenizer.Bos,
        EosTokenId = ByteTokenizer.Eos,
        PadTokenId = ByteTokenizer.Pad,
    };

    /// <summary>Random weights with the HF names and shapes; norms around 1 so every weight matters.</summary>
    public static List<NamedTensor> RandomTensors(LlamaConfig c, int seed)
    {
        var rng = new Random(seed);
        var list = new List<NamedTensor>();
        foreach (var (name, shape) in LlamaCheckpoint.ExpectedTensors(c))
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            bool isNorm = shape.Length == 1;
            // Scale ~ 1/sqrt(fan_in) keeps activations O(1); embeddings larger so logits spread.
            double scale = isNorm ? 0.2 : name == LlamaConfig.Names.Embed ? 0.5 : 1.0 / Math.Sqrt(shape[1]);
            for (long i = 0; i < n; i++)
                data[i] = (float)((isNorm ? 1.0 : 0.0) + scale * (rng.NextDouble() * 2 - 1) * 1.7);
            list.Add(new NamedTensor(name, shape, data));
        }
        return list;
    }

    public static string Write(string dir, LlamaConfig c, int seed, Func<List<NamedTensor>, List<NamedTensor>>? edit = null)
    {
        Directory.CreateDirectory(dir);
        var tensors = RandomTensors(c, seed);
        if (edit is not null) tensors = edit(tensors);
        SafeTensors.Write(Path.Combine(dir, LlamaCheckpoint.WeightsFile), tensors);
        c.Save(Path.Combine(dir, LlamaCheckpoint.ConfigFile));
        TokenizerFiles.Write(dir, new ByteTokenizer());
        return dir;
    }
}
