using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;

namespace OnnxRftPipeline.TestSupport;

/// <summary>
/// The tests' tiny byte-level Llama models: a config, a seeded random checkpoint (the product's
/// <see cref="RandomCheckpoint"/>: safetensors + config.json + byte tokenizer files, no TorchSharp) and, when asked,
/// its export into a model folder. For tests that need a real model to export, decode or serve, not a trained one.
/// The weights depend only on the config's shapes and the seed, so a test that pins numbers pins (config, seed).
/// Everything that touches <see cref="RandomCheckpoint"/> or <see cref="OnnxExporter"/> needs the caller to reference
/// OnnxRftPipeline.Export itself (this library only compiles against it; see the project file).
/// </summary>
public static class TinyLlama
{
    /// <summary>The name a tiny model is exported under when the test does not care (models/rand/VERSION).</summary>
    public const string Name = "rand";

    /// <summary>The default context length (max_position_embeddings).</summary>
    public const int Context = 96;

    /// <summary>
    /// A small Llama over the byte tokenizer's vocabulary: <paramref name="heads"/> heads of hidden / heads, grouped into
    /// <paramref name="kvHeads"/> KV heads, an MLP of 48, rope base 10000, RMSNorm eps 1e-5.
    /// </summary>
    public static LlamaConfig Config(bool tied = false, int kvHeads = 2, int heads = 4, int hidden = 32, int layers = 2,
        int context = Context) => new()
    {
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        IntermediateSize = 48,
        VocabSize = ByteTokenizer.Size,
        MaxPositionEmbeddings = context,
        RopeTheta = 10000.0,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        BosTokenId = ByteTokenizer.Bos,
        EosTokenId = ByteTokenizer.Eos,
        PadTokenId = ByteTokenizer.Pad,
    };

    /// <summary>The random weights <see cref="WriteCheckpoint"/> writes for (<paramref name="config"/>, <paramref name="seed"/>).</summary>
    public static List<NamedTensor> Tensors(LlamaConfig config, int seed) => RandomCheckpoint.Tensors(config, seed);

    /// <summary>
    /// Writes a checkpoint with the random weights of <paramref name="seed"/> into <paramref name="dir"/>; returns the folder.
    /// <paramref name="edit"/> changes the tensor list before it is written (a missing or misshapen tensor for bad-checkpoint tests).
    /// </summary>
    public static string WriteCheckpoint(string dir, LlamaConfig config, int seed, Func<List<NamedTensor>, List<NamedTensor>>? edit = null)
    {
        if (edit is null) return RandomCheckpoint.Write(dir, config, seed);
        Directory.CreateDirectory(dir);
        SafeTensors.Write(Path.Combine(dir, LlamaCheckpoint.WeightsFile), edit(Tensors(config, seed)));
        config.Save(Path.Combine(dir, LlamaCheckpoint.ConfigFile));
        TokenizerFiles.Write(dir, new ByteTokenizer());
        return dir;
    }

    /// <summary>
    /// Exports a tiny model with the weights of <paramref name="seed"/> into a registry layout,
    /// <paramref name="modelsRoot"/>/<paramref name="name"/>/<paramref name="version"/>, and returns that folder. The
    /// checkpoint is written under <paramref name="modelsRoot"/> in a dot-named folder (which no registry scan lists) and
    /// deleted once exported.
    /// </summary>
    public static string ExportModel(string modelsRoot, string version, int seed, LlamaConfig? config = null, string name = Name,
        GraphOps ops = GraphOps.Standard)
    {
        var ckpt = WriteCheckpoint(Path.Combine(modelsRoot, $"..ckpt-{version}-{Guid.NewGuid():N}"), config ?? Config(), seed);
        try
        {
            return OnnxExporter.Export(ckpt, Path.Combine(modelsRoot, name, version),
                new ExportOptions { ModelName = name, ModelVersion = version, Ops = ops }).OutDir;
        }
        finally { Directory.Delete(ckpt, recursive: true); }
    }
}
