namespace OnnxRftPipeline.Verifiers;

/// <summary>What a verifier judges: the prompt, one candidate response, and the reference answer
/// (SftExample.Answer; null when the example has none).</summary>
public sealed record VerifyInput(string Prompt, string Candidate, string? Answer);

/// <summary>A verdict: score in [0,1], whether the candidate is accepted, and a short human-readable reason.</summary>
public sealed record VerifierResult(double Score, bool Accepted, string Reason)
{
    public static VerifierResult Pass(string reason) => new(1.0, true, reason);
    public static VerifierResult Fail(string reason) => new(0.0, false, reason);

    /// <summary>
    /// The verdict of every leaf verifier or filter of the spec, depth-first in spec order (a composite runs every
    /// child, so the list always has one entry per leaf, in the same order for every candidate). A leaf's own result
    /// holds one entry: itself. Lets a caller count, per filter, what it rejected (<see cref="FilterTally"/>) instead
    /// of parsing <see cref="Reason"/>.
    /// </summary>
    public IReadOnlyList<FilterVerdict> Verdicts { get; init; } = [];

    /// <summary>This result as a leaf's: with itself as its one verdict under <paramref name="spec"/>, unless it already
    /// has verdicts. Every built-in leaf returns its result through this; an outside <see cref="IVerifier"/> may too.</summary>
    public VerifierResult AsLeaf(string spec) =>
        Verdicts.Count > 0 ? this : this with { Verdicts = [new FilterVerdict(spec, Accepted, Score, Reason)] };
}

/// <summary>One leaf's verdict inside a (possibly composite) result: its canonical spec, whether it accepted, its
/// score and its reason.</summary>
public sealed record FilterVerdict(string Spec, bool Accepted, double Score, string Reason);

/// <summary>
/// Scores a candidate response. Async because the external-command verifier runs a process;
/// the in-process verifiers complete synchronously. Built from a spec string by <see cref="VerifierFactory"/>.
/// </summary>
public interface IVerifier
{
    /// <summary>The canonical spec this verifier was built from (recorded in CandidateRow.Verifier).</summary>
    string Spec { get; }

    ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default);
}

/// <summary>A verifier could not judge (missing reference answer, a command that failed or printed garbage).
/// Distinct from a rejected candidate, which is a normal <see cref="VerifierResult"/>.</summary>
public sealed class VerifierException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A verifier spec string is malformed; the message names the bad part.</summary>
public sealed class VerifierSpecException(string message) : Exception(message);
