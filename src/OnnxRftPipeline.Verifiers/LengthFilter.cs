using System.Globalization;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Accepts when the candidate's length is within [min, max]; needs no reference answer. Length counts text elements
/// (what a reader sees as one character: "é" written as e + combining accent, or an emoji, counts 1), not UTF-16
/// units, so a limit means the same for every script. Spec: <c>length:min=N,max=M[,on=whole|final]</c>, at least
/// one of min and max; on=final measures only the text after the last <c>####</c> (or the whole text without one).
/// Score 1 when accepted, else 0.
/// </summary>
public sealed class LengthFilter(int? min, int? max, bool finalOnly = false) : IVerifier
{
    public string Spec { get; init; } = "length";

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        var text = finalOnly ? FinalAnswer.FinalOrWhole(input.Candidate) : input.Candidate;
        int n = new StringInfo(text).LengthInTextElements;
        bool ok = (min is null || n >= min) && (max is null || n <= max);
        var range = $"[{min?.ToString(CultureInfo.InvariantCulture) ?? "0"}, {max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}]";
        var r = ok ? VerifierResult.Pass($"length: {n} characters, within {range}")
                   : VerifierResult.Fail($"length: {n} characters, outside {range}");
        return ValueTask.FromResult(r.AsLeaf(Spec));
    }
}
