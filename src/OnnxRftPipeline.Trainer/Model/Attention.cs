using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>Causal self-attention with grouped KV heads of any head size, rotary positions, and the q/k/v (and o) biases
/// some families have (Qwen2: q/k/v; Llama with attention_bias: all four).</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    readonly Linear q_proj, k_proj, v_proj, o_proj;
    readonly int heads, kvHeads, headDim;
    readonly Rotary rotary;

    public Attention(OnnxRftPipeline.Contracts.Models.LlamaConfig c, Rotary rotary) : base(nameof(Attention))
    {
        heads = c.NumAttentionHeads;
        kvHeads = c.NumKeyValueHeads;
        headDim = c.HeadDim;
        this.rotary = rotary;
        int hidden = c.HiddenSize;
        q_proj = nn.Linear(hidden, heads * headDim, hasBias: c.QkvBias);
        k_proj = nn.Linear(hidden, kvHeads * headDim, hasBias: c.QkvBias);
        v_proj = nn.Linear(hidden, kvHeads * headDim, hasBias: c.QkvBias);
        o_proj = nn.Linear(heads * headDim, hidden, hasBias: c.OutputBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = rotary.Apply(q_proj.forward(x).view(b, t, heads, headDim).transpose(1, 2));
        var k = rotary.Apply(k_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2));
        var v = v_proj.forward(x).view(b, t, kvHeads, headDim).transpose(1, 2);
        if (kvHeads != heads)
        {
            // HF repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1.
            int rep = heads / kvHeads;
            k = k.repeat_interleave(rep, dim: 1);
            v = v.repeat_interleave(rep, dim: 1);
        }
        // Right padding only: a causal mask already keeps every real token from seeing pads,
        // so no explicit padding mask is needed (pad positions are excluded from the loss).
        var y = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        y = y.transpose(1, 2).reshape(b, t, heads * headDim);
        return o_proj.forward(y).MoveToOuterDisposeScope();
    }
}
