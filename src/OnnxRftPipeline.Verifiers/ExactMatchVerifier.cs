using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Verifiers;

/// <summary>How text is normalised before comparing.</summary>
public enum TextNormalization
{
    /// <summary>Compare byte for byte.</summary>
    None,
    /// <summary>Trim leading and trailing whitespace.</summary>
    Trim,
    /// <summary>Trim, and collapse every internal whitespace run to one space.</summary>
    Whitespace,
}

/// <summary>
/// Accepts when the candidate's final answer equals the reference answer after normalisation.
/// Spec: <c>exact[:norm=none|trim|ws][,case=sensitive|insensitive][,on=final|whole]</c>.
/// on=final (default) compares the text after the last <c>####</c> (or the whole candidate when it
/// has none) with the reference read the same way; on=whole compares both texts whole. Default norm is ws.
/// </summary>
public sealed partial class ExactMatchVerifier(TextNormalization norm = TextNormalization.Whitespace,
    bool ignoreCase = false, bool wholeText = false) : IVerifier
{
    public string Spec { get; init; } = "exact";

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        if (input.Answer is null)
            throw new VerifierException($"{Spec}: the example has no reference answer to compare with.");
        var got = Normalize(wholeText ? input.Candidate : FinalAnswer.FinalOrWhole(input.Candidate));
        var want = Normalize(wholeText ? input.Answer : FinalAnswer.FinalOrWhole(input.Answer));
        bool ok = string.Equals(got, want, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        return ValueTask.FromResult((ok
            ? VerifierResult.Pass($"exact: '{Clip(got)}' matches")
            : VerifierResult.Fail($"exact: '{Clip(got)}' != '{Clip(want)}'")).AsLeaf(Spec));
    }

    public static string Normalize(string s, TextNormalization norm) => norm switch
    {
        TextNormalization.None => s,
        TextNormalization.Trim => s.Trim(),
        _ => Ws().Replace(s.Trim(), " "),
    };

    string Normalize(string s) => Normalize(s, norm);

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Ws();
}
