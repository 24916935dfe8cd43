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

    public static List<NamedTensor> RandomTensors(LlamaConfig c, int seed) => RandomCheckpoint.Tensors(c, seed);

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
