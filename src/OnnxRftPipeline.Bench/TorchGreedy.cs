using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// TorchSharp greedy generation of the Trainer's model, the baseline the ONNX Runtime sampler is measured
/// against. Two ways: <see cref="Uncached"/> re-runs <see cref="LlamaForCausalLM.forward"/> on the whole
/// sequence every step (what the Trainer's ReferenceGenerator does), and <see cref="Cached"/> keeps a KV cache
/// (torch.cat per step, as a straightforward eager implementation does) using the same parameters. The Trainer's
/// model has no cache, so the cached loop lives here, in the benchmark, written against its named parameters.
/// Every row has the same prompt length (no padding), so positions are plain column indices.
/// </summary>
sealed class TorchGreedy(LlamaForCausalLM model)
{
    readonly LlamaConfig c = model.Config;
    readonly Dictionary<string, Tensor> w = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>Greedy tokens [B, newTokens]; <paramref name="onStep"/> is called after every forward with rows sampled.</summary>
    public long[][] Uncached(long[][] prompts, int newTokens, Action<int> onStep)
    {
        int b = prompts.Length;
        var seqs = prompts.Select(p => p.ToList()).ToArray();
        model.eval();
        using var _ = no_grad();
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            int t = seqs[0].Count;
            var ids = tensor(seqs.SelectMany(s => s).ToArray(), new long[] { b, t });
            var next = model.forward(ids).select(1, t - 1).argmax(-1).data<long>().ToArray();
            for (int r = 0; r < b; r++) seqs[r].Add(next[r]);
            onStep(b);
        }
        return seqs.Select((s, r) => s.Skip(prompts[r].Length).ToArray()).ToArray();
    }

    public long[][] Cached(long[][] prompts, int newTokens, Action<int> onStep)
    {
        int b = prompts.Length, p = prompts[0].Length;
        int nH = c.NumAttentionHeads, kvH = c.NumKeyValueHeads, d = c.HeadDim, L = c.NumHiddenLayers;
        var (cosTable, sinTable) = LlamaGraph.RotaryTables(c);
        using var outer = NewDisposeScope();
        using var _ = no_grad();
        var cos = tensor(cosTable, new long[] { c.MaxPositionEmbeddings, d });
        var sin = tensor(sinTable, new long[] { c.MaxPositionEmbeddings, d });
        var keys = new Tensor?[L];
        var values = new Tensor?[L];
        var result = new long[b][];
        for (int r = 0; r < b; r++) result[r] = new long[newTokens];
        var ids = tensor(prompts.SelectMany(x => x).ToArray(), new long[] { b, p });
        int pos = 0;
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            long s = ids.shape[1];
            var x = w[LlamaConfig.Names.Embed].index_select(0, ids.flatten()).view(b, s, c.HiddenSize);
            var cosS = cos.narrow(0, pos, s);
            var sinS = sin.narrow(0, pos, s);
            for (int l = 0; l < L; l++)
            {
                var h = Norm(x, LlamaConfig.Names.InputNorm(l));
                var q = Rope(Heads(Linear(h, LlamaConfig.Names.Q(l)), nH), cosS, sinS);
                var k = Rope(Heads(Linear(h, LlamaConfig.Names.K(l)), kvH), cosS, sinS);
                var v = Heads(Linear(h, LlamaConfig.Names.V(l)), kvH);
                var kAll = keys[l] is null ? k : cat(new[] { keys[l]!, k }, 2);
                var vAll = values[l] is null ? v : cat(new[] { values[l]!, v }, 2);
                keys[l]?.Dispose(); values[l]?.Dispose();
                keys[l] = kAll.MoveToOuterDisposeScope();
                values[l] = vAll.MoveToOuterDisposeScope();
                if (kvH != nH) { kAll = kAll.repeat_interleave(nH / kvH, dim: 1); vAll = vAll.repeat_interleave(nH / kvH, dim: 1); }
                // Prefill is causal; a one-token step sees the whole cache.
                var y = nn.functional.scaled_dot_product_attention(q, kAll, vAll, is_casual: s > 1);
                x = x + Linear(y.transpose(1, 2).reshape(b, s, nH * d), LlamaConfig.Names.O(l));
                var h2 = Norm(x, LlamaConfig.Names.PostAttnNorm(l));
                var act = nn.functional.silu(Linear(h2, LlamaConfig.Names.Gate(l))) * Linear(h2, LlamaConfig.Names.Up(l));
                x = x + Linear(act, LlamaConfig.Names.Down(l));
            }
            var last = Norm(x.select(1, s - 1), LlamaConfig.Names.FinalNorm);
            var lmHead = c.TieWordEmbeddings ? w[LlamaConfig.Names.Embed] : w[LlamaConfig.Names.LmHead];
            var next = nn.functional.linear(last, lmHead).argmax(-1);
            var chosen = next.data<long>().ToArray();
            for (int r = 0; r < b; r++) result[r][step] = chosen[r];
            pos += (int)s;
            ids.Dispose();
            ids = next.view(b, 1).MoveToOuterDisposeScope();
            onStep(b);
        }
        return result;

        Tensor Linear(Tensor input, string name) => nn.functional.linear(input, w[name]);
        Tensor Heads(Tensor t, int heads) => t.view(t.shape[0], t.shape[1], heads, d).transpose(1, 2);
        Tensor Norm(Tensor t, string name) => t * rsqrt(t.pow(2).mean(new long[] { -1 }, keepdim: true) + c.RmsNormEps) * w[name];
    }

    /// <summary>HF rotate_half rotary on [B, heads, S, D] with cos/sin rows [S, D].</summary>
    static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[3] / 2;
        var rotated = cat(new[] { -x.narrow(-1, half, half), x.narrow(-1, 0, half) }, -1);
        return x * cos + rotated * sin;
    }
}
