using System.Globalization;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Accepts when the candidate's final number equals the reference number within tolerance.
/// The final number is the first number after the last <c>####</c> if present, else the last number
/// in the text (see <see cref="FinalAnswer.ExtractNumber"/>); the reference answer is read the same way.
/// Spec: <c>numeric[:tol=ABS][,rtol=REL]</c>; accepted when |got − want| ≤ max(tol, rtol·|want|).
/// Defaults: tol=1e-6, rtol=0.
/// </summary>
public sealed class NumericVerifier(double absTol = 1e-6, double relTol = 0) : IVerifier
{
    public string Spec { get; init; } = "numeric";

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        if (input.Answer is null)
            throw new VerifierException($"{Spec}: the example has no reference answer to compare with.");
        var want = FinalAnswer.ExtractNumber(input.Answer, out _)
            ?? throw new VerifierException($"{Spec}: the reference answer '{ExactMatchVerifier.Clip(input.Answer)}' contains no number.");
        var got = FinalAnswer.ExtractNumber(input.Candidate, out var text);
        if (got is null)
            return ValueTask.FromResult(VerifierResult.Fail(
                FinalAnswer.AfterMarker(input.Candidate) is not null ? "numeric: no number after ####" : "numeric: no number in the candidate").AsLeaf(Spec));
        var diff = Math.Abs(got.Value - want);
        bool ok = diff <= Math.Max(absTol, relTol * Math.Abs(want));
        var w = want.ToString("R", CultureInfo.InvariantCulture);
        return ValueTask.FromResult((ok
            ? VerifierResult.Pass($"numeric: {text} = {w}")
            : VerifierResult.Fail($"numeric: {text} != {w}")).AsLeaf(Spec));
    }
}
