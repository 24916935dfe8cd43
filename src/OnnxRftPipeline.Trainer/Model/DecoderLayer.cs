using TorchSharp;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>Pre-norm block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class DecoderLayer : nn.Module<Tensor, Tensor>
{
    readonly RmsNorm input_layernorm, post_attention_layernorm;
    readonly Attention self_attn;
    readonly Mlp mlp;

    public DecoderLayer(OnnxRftPipeline.Contracts.Models.LlamaConfig c, Rotary rotary) : base(nameof(DecoderLayer))
    {
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        self_attn = new Attention(c, rotary);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        mlp = new Mlp(c.HiddenSize, c.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x));
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}
