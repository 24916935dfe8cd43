using OnnxRftPipeline.Contracts.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>The decoder body: embeddings, blocks, final norm (HF's "model." prefix).</summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
    internal readonly Embedding embed_tokens;
    readonly ModuleList<DecoderLayer> layers;
    readonly RmsNorm norm;

    public LlamaModel(LlamaConfig c, Rotary rotary) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new DecoderLayer(c, rotary)).ToArray());
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>ids [B,T] int64 → final hidden states [B,T,hidden].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var h = embed_tokens.forward(ids);
        foreach (var layer in layers) h = layer.forward(h);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Llama-style causal LM. Parameter names (named_parameters) are exactly the Hugging Face tensor names,
/// because every field is named as in transformers' LlamaForCausalLM. Tied embeddings: no lm_head.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module<Tensor, Tensor>
{
    readonly LlamaModel model;
    readonly Linear? lm_head;
    readonly Rotary rotary;

    public LlamaConfig Config { get; }

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        rotary = new Rotary(config.HeadDim, config.ContextLimit, config.Rope);
        model = new LlamaModel(config, rotary);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitWeights();
    }

    /// <summary>HF Llama's initialisation: N(0, 0.02) for every matrix, zeros for biases, ones for the norms.</summary>
    void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
            if (p.dim() == 2) nn.init.normal_(p, 0.0, 0.02);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(p);
    }

    /// <summary>ids [B,T] int64 (right-padded) → logits [B,T,vocab].</summary>
    public override Tensor forward(Tensor ids)
    {
        if (ids.shape[1] > Config.ContextLimit)
            throw new ArgumentException($"sequence length {ids.shape[1]} exceeds the model's context {Config.ContextLimit}");
        using var scope = NewDisposeScope();
        var h = model.forward(ids);
        var logits = lm_head is null ? matmul(h, model.embed_tokens.weight!.t()) : lm_head.forward(h);
        return logits.MoveToOuterDisposeScope();
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    protected override void Dispose(bool disposing)
    {
        if (disposing) rotary.Dispose();
        base.Dispose(disposing);
    }
}
