using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;

namespace OnnxRftPipeline.Cli.Tests;

/// <summary>A seeded random checkpoint of a tiny byte-level model: for tests that need a model to export or serve, not a trained one.</summary>
static class TinyRandomCheckpoint
{
    public static string Write(string dir, int seed = 3) => RandomCheckpoint.Write(dir, new LlamaConfig
    {
        HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 48,
        VocabSize = ByteTokenizer.Size, MaxPositionEmbeddings = 96, BosTokenId = ByteTokenizer.Bos, EosTokenId = ByteTokenizer.Eos, PadTokenId = ByteTokenizer.Pad,
    }, seed);
}
