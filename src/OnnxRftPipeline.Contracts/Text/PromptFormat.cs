namespace OnnxRftPipeline.Contracts.Text;

/// <summary>
/// How a (prompt, response) pair becomes tokens. Trainer and sampler must agree on this exactly, so it lives in the
/// contracts: the prompt is encoded as the checkpoint's own tokenizer encodes a model input (bos or not, as its
/// post-processor says; the byte tokenizer always adds bos), the response with no special tokens, then eos.
/// Encoding the two separately keeps the response-only loss mask exact: the first target is the first response token,
/// and the prompt ids are the very ids the sampler primes the generator with. The prompt text carries its own separator
/// (bundled tasks end prompts with "\n"); the model learns to stop by emitting eos.
/// </summary>
public static class PromptFormat
{
    /// <summary>Tokens the generator is primed with for a prompt.</summary>
    public static int[] EncodePrompt(ITokenizer tok, string prompt) => tok.EncodeModelInput(prompt);

    /// <summary>Full training sequence and the index where response tokens (the loss targets) start.</summary>
    public static (int[] Ids, int ResponseStart) EncodeExample(ITokenizer tok, string prompt, string response)
    {
        var p = EncodePrompt(tok, prompt);
        var r = tok.Encode(response);
        var ids = new int[p.Length + r.Length + 1];
        p.CopyTo(ids, 0);
        r.CopyTo(ids, p.Length);
        ids[^1] = tok.EosId;
        return (ids, p.Length);
    }
}
