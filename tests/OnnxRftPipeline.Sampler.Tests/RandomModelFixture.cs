using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>
/// A small random-weight model (TestSupport's <see cref="TinyLlama"/>, seed 11) exported to a real model folder and opened
/// with a decoder, shared by the engine tests as an xunit class fixture (it owns the decoder, hence lives here).
/// </summary>
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
        ModelDir = TinyLlama.ExportModel(Path.Combine(Root, "models"), "v1", seed: 11, TinyLlama.Config(hidden: hidden), ops: ops);
        Decoder = OnnxDecoder.Open(ModelFolder.Load(ModelDir), threads: 1);
    }

    public Generator Generator(GeneratorOptions? o = null) => new(Decoder, Tokenizer, (o ?? new GeneratorOptions()) with { ContextLength = TinyLlama.Context });

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
