using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Generation;

/// <summary>
/// Greedy and sampled decoding in TorchSharp, only as a reference for tests and benchmarks (it
/// recomputes the whole prefix each step, no KV cache). Production sampling is the ONNX Runtime sampler.
/// </summary>
public static class ReferenceGenerator
{
    /// <summary>Greedy continuation of each prompt until eos or maxNewTokens; rows are batched, right-padded.</summary>
    public static string[] Greedy(LlamaForCausalLM model, ITokenizer tok, IReadOnlyList<string> prompts, int maxNewTokens) =>
        Generate(model, tok, prompts, maxNewTokens, temperature: 0, seed: 0);

    /// <summary>Samples with temperature from the full distribution, seeded.</summary>
    public static string[] Sample(LlamaForCausalLM model, ITokenizer tok, IReadOnlyList<string> prompts, int maxNewTokens, double temperature, long seed) =>
        Generate(model, tok, prompts, maxNewTokens, temperature, seed);

    static string[] Generate(LlamaForCausalLM model, ITokenizer tok, IReadOnlyList<string> prompts, int maxNewTokens, double temperature, long seed)
    {
        var seqs = prompts.Select(p => PromptFormat.EncodePrompt(tok, p).ToList()).ToArray();
        var start = seqs.Select(s => s.Count).ToArray();
        var done = new bool[seqs.Length];
        var gen = temperature > 0 ? new Generator((ulong)seed) : null;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (int step = 0; step < maxNewTokens && done.Any(d => !d); step++)
            {
                using var scope = NewDisposeScope();
                int t = seqs.Max(s => s.Count);
                if (t >= model.Config.ContextLimit) break;
                var ids = new long[seqs.Length * t];
                for (int r = 0; r < seqs.Length; r++)
                    for (int j = 0; j < t; j++) ids[r * t + j] = j < seqs[r].Count ? seqs[r][j] : tok.PadId;
                var logits = model.forward(tensor(ids, new long[] { seqs.Length, t }));
                // Each row's next token comes from its own last real position (right padding).
                var last = tensor(seqs.Select(s => (long)s.Count - 1).ToArray()).view(-1, 1, 1).expand(seqs.Length, 1, logits.shape[2]);
                var next = logits.gather(1, last).squeeze(1); // [B,V]
                long[] chosen = temperature > 0
                    ? multinomial((next / temperature).softmax(-1), 1, generator: gen).squeeze(1).data<long>().ToArray()
                    : next.argmax(-1).data<long>().ToArray();
                for (int r = 0; r < seqs.Length; r++)
                {
                    if (done[r]) continue;
                    seqs[r].Add((int)chosen[r]);
                    if (tok.StopIds.Contains((int)chosen[r])) done[r] = true;
                }
            }
        }
        finally { if (wasTraining) model.train(); gen?.Dispose(); }
        return seqs.Select((s, r) => tok.Decode(s.Skip(start[r]).TakeWhile(id => !tok.StopIds.Contains(id)).ToArray())).ToArray();
    }
}
