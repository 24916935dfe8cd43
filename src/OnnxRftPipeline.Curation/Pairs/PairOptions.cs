namespace OnnxRftPipeline.Curation.Pairs;

/// <summary>How `rft pairs` picks the two sides of each SPIN pair.</summary>
public sealed record PairOptions
{
    public static readonly IReadOnlyList<string> ChosenPolicies = ["demo", "accepted"];
    public static readonly IReadOnlyList<string> RejectedPolicies = ["rejected-or-any", "rejected", "any"];

    /// <summary>
    /// demo: the demonstration (SPIN). accepted: the prompt's best accepted candidate (score, then mean
    /// logprob, then index), falling back to the demonstration when none was accepted.
    /// Default accepted, with <see cref="Rejected"/> = rejected: with a verifier, a pair should never prefer a
    /// demonstration the verifier would reject over an answer it accepts. SPIN's own form (demo vs rejected-or-any)
    /// did exactly that for the noisy demonstrations: on the bundled sort task (SFT 93.0 %) one SPIN stage with it gave
    /// 29.5 % at lr 1e-4, with accepted vs rejected 96.5 % (same candidates, reference and lr).
    /// </summary>
    public string Chosen { get; init; } = "accepted";

    /// <summary>
    /// rejected-or-any: candidates the verifier rejected; when a prompt has none (all accepted), any sample.
    /// rejected: only verifier-rejected candidates (prompts without one get no pair).
    /// any: any sampled candidate, judged or not (SPIN's original form, for data without a verifier).
    /// A candidate whose text equals the chosen response is never used: the pair would carry no signal.
    /// </summary>
    public string Rejected { get; init; } = "rejected";

    /// <summary>At most this many pairs per prompt (distinct rejected texts, in candidate-index order).</summary>
    public int PairsPerPrompt { get; init; } = 1;

    public string RunId { get; init; } = "";

    public void Validate()
    {
        if (!ChosenPolicies.Contains(Chosen)) throw new ArgumentException($"pairs: --chosen must be {string.Join(" or ", ChosenPolicies)}, got '{Chosen}'");
        if (!RejectedPolicies.Contains(Rejected)) throw new ArgumentException($"pairs: --rejected must be one of {string.Join(", ", RejectedPolicies)}, got '{Rejected}'");
        if (PairsPerPrompt < 1) throw new ArgumentException($"pairs: --pairs-per-prompt must be >= 1, got {PairsPerPrompt}");
    }
}
