using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>A small random-weight model exported to a real model folder, shared by the engine tests.</summary>
public class RandomModelFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rft-sampler-model-").FullName;
    public string ModelDir { get; }
    public OnnxDecoder Decoder { get; }
    public ByteTokenizer Tokenizer { get; } = new();

    public GraphOps Ops { get; }
    public int Hidden { get; }

    public RandomModelFixture() : this(GraphOps.Standard) { }

    /// <param name="hidden">Hidden size over 4 heads: 32 gives head size 8, 64 gives 16 (GroupQueryAttention's own rotary).</param>
    protected RandomModelFixture(GraphOps ops, int hidden = 32)
    {
        Ops = ops;
        Hidden = hidden;
        var config = new LlamaConfig
        {
            HiddenSize = hidden, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 48,
            VocabSize = ByteTokenizer.Size, MaxPositionEmbeddings = 96, BosTokenId = ByteTokenizer.Bos,
            EosTokenId = ByteTokenizer.Eos, PadTokenId = ByteTokenizer.Pad,
        };
        var ckpt = RandomCheckpoint.Write(Path.Combine(Root, "ckpt"), config, seed: 11);
        ModelDir = OnnxExporter.Export(ckpt, Path.Combine(Root, "models", "rand", "v1"), new ExportOptions { ModelName = "rand", ModelVersion = "v1", Ops = ops }).OutDir;
        Decoder = OnnxDecoder.Open(ModelFolder.Load(ModelDir), threads: 1);
    }

    public Generator Generator(GeneratorOptions? o = null) => new(Decoder, Tokenizer, (o ?? new GeneratorOptions()) with { ContextLength = 96 });

    public virtual void Dispose()
    {
        Decoder.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The same model exported with contrib ops: GroupQueryAttention, decoded through the in-place (shared past/present) cache.</summary>
public sealed class ContribModelFixture() : RandomModelFixture(GraphOps.Contrib);

/// <summary>Contrib ops with head size 16, where GroupQueryAttention rotates the packed Q|K|V projection itself.</summary>
public sealed class ContribPackedModelFixture() : RandomModelFixture(GraphOps.Contrib, hidden: 64);

/// <summary>Standard ops at opset 24 with TensorScatter: the in-place cache without contrib ops.</summary>
public sealed class StandardInPlaceModelFixture() : RandomModelFixture(GraphOps.StandardInPlace);
