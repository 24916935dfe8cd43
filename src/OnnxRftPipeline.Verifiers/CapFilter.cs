namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// A per-prompt cap: accepts while fewer than N candidates of the same prompt (<see cref="VerifyInput.Prompt"/>,
/// compared ordinally) have been kept in the <see cref="FilterContext"/>. Needs no reference answer. Spec:
/// <c>cap:n=N</c> (N ≥ 1). Score 1 when accepted, else 0. Because kept means kept by the whole spec, in
/// <c>all(length:...;cap:n=2)</c> the cap counts only candidates that also passed length.
/// </summary>
public sealed class CapFilter(FilterContext context, int n) : IVerifier
{
    public string Spec { get; init; } = "cap";

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        int kept = context.KeptCount(input.Prompt);
        var r = kept < n ? VerifierResult.Pass($"cap: {kept} of {n} kept for this prompt")
                         : VerifierResult.Fail($"cap: {kept} of {n} already kept for this prompt");
        return ValueTask.FromResult(r.AsLeaf(Spec));
    }
}
