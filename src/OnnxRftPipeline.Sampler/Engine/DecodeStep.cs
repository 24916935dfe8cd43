using System.Runtime.InteropServices;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// What both drivers do with a row's logits: draw its next token with the one <see cref="TokenSampler"/>, then apply the
/// finishing rules: eos ends the row (not kept in the text), a stop string ends it and is cut from the text, then
/// max new tokens and the model's context end it with "length". Also the prompt checks both drivers make before a prefill.
/// </summary>
internal sealed class DecodeStep(int vocabSize, ITokenizer tokenizer, int contextLength)
{
    readonly TokenSampler _sampler = new(vocabSize);

    public int ContextLength => contextLength;

    /// <summary>The settings' stop strings as token sequences; a string that encodes to nothing can never match and is dropped.</summary>
    public int[][] StopTokens(SamplingSettings s) => s.StopStrings.Select(tokenizer.Encode).Where(t => t.Length > 0).ToArray();

    /// <summary>Refuses a prompt no driver can decode, naming it.</summary>
    public void CheckPrompt(PromptRequest p)
    {
        if (p.Tokens.Length == 0) throw new ArgumentException($"prompt '{p.PromptId}' has no tokens");
        if (p.Tokens.Length >= contextLength)
            throw new ArgumentException($"prompt '{p.PromptId}' has {p.Tokens.Length} tokens; the model's context is {contextLength}");
    }

    public static void CheckCandidates(PromptRequest p)
    {
        if (p.Candidates < 1) throw new ArgumentException($"prompt '{p.PromptId}': candidates must be >= 1");
    }

    /// <summary>Samples one token for a row and decides whether the row is finished (eos, stop string, length, context).</summary>
    public void Next(DecodeRow row, ReadOnlySpan<float> logits)
    {
        var (token, logprob) = _sampler.Next(logits, row.Settings, ref row.Rng);
        Accept(row, token, logprob);
    }

    /// <summary>
    /// The finishing rules for a token a row drew (here, or by another engine's sampler: onnxruntime-genai's rows use the same
    /// rules): counts it, then eos, a stop string (cut from the text), max new tokens and the context end the row.
    /// </summary>
    public void Accept(DecodeRow row, int token, double logprob)
    {
        var s = row.Settings;
        row.Sampled++;
        row.SumLogprob += logprob;
        row.Last = token;
        if (tokenizer.StopIds.Contains(token)) { row.Finish = "eos"; return; }
        row.Tokens.Add(token);
        row.TokenLogprobs.Add(logprob);
        foreach (var stop in row.Stops)
            if (row.Tokens.Count >= stop.Length && CollectionsMarshal.AsSpan(row.Tokens)[^stop.Length..].SequenceEqual(stop))
            {
                row.Tokens.RemoveRange(row.Tokens.Count - stop.Length, stop.Length);
                row.TokenLogprobs.RemoveRange(row.TokenLogprobs.Count - stop.Length, stop.Length);
                row.Finish = "stop";
                return;
            }
        if (row.Sampled >= s.MaxNewTokens || row.PromptLength + row.Sampled >= contextLength) row.Finish = "length";
    }
}
