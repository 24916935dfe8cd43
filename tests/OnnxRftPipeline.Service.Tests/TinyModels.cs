using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>Tiny random-weight models exported into a real registry layout (models/NAME/VERSION), no training needed.</summary>
public static class TinyModels
{
    public const string Name = "rand";
    public const int Context = 96;

    public static LlamaConfig Config => new()
    {
        HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 48,
        VocabSize = ByteTokenizer.Size, MaxPositionEmbeddings = Context, BosTokenId = ByteTokenizer.Bos,
        EosTokenId = ByteTokenizer.Eos, PadTokenId = ByteTokenizer.Pad,
    };

    /// <summary>Exports version <paramref name="version"/> of a model with weights drawn from <paramref name="seed"/>; returns its folder.</summary>
    public static string Export(string modelsRoot, string version, int seed)
    {
        var ckpt = RandomCheckpoint.Write(Path.Combine(modelsRoot, $"..ckpt-{version}-{Guid.NewGuid():N}"), Config, seed);
        var dir = OnnxExporter.Export(ckpt, Path.Combine(modelsRoot, Name, version), new ExportOptions { ModelName = Name, ModelVersion = version }).OutDir;
        Directory.Delete(ckpt, recursive: true);
        return dir;
    }
}
