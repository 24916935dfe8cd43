namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// The state the stateful filters (<c>novelty</c>, <c>cap</c>) judge against, owned by the caller and passed to
/// <see cref="VerifierFactory.Create(string, FilterContext)"/>: the reference corpus (the training set's responses)
/// and the candidates kept so far.
/// <para>Contract. "Kept" means kept by the WHOLE spec: call <see cref="Keep"/> once for each candidate whose overall
/// <see cref="VerifierResult.Accepted"/> is true, right after verifying it and before verifying the next one, with
/// the same prompt string that was passed as <see cref="VerifyInput.Prompt"/>. Verdicts therefore depend on the
/// order candidates are verified in: verify in a deterministic order (prompt id, then candidate index). To resume,
/// call <see cref="Keep"/> for the kept candidates of the finished work, in that same order, before verifying the
/// rest: that gives exactly the verdicts of one uninterrupted pass.</para>
/// <para>Not thread-safe: verify and keep in one sequence (the order decides the verdicts anyway).</para>
/// </summary>
public sealed class FilterContext
{
    readonly List<KeptCandidate> kept = [];
    readonly Dictionary<string, int> keptPerPrompt = new(StringComparer.Ordinal);

    /// <param name="referenceTexts">Texts a candidate must be novel against (the training set's responses); may be empty.</param>
    public FilterContext(IEnumerable<string>? referenceTexts = null)
    {
        ReferenceTexts = (referenceTexts ?? []).ToArray();
        for (int i = 0; i < ReferenceTexts.Count; i++)
            if (ReferenceTexts[i] is null) throw new ArgumentException($"reference text {i} is null", nameof(referenceTexts));
    }

    /// <summary>The reference corpus, fixed at construction.</summary>
    public IReadOnlyList<string> ReferenceTexts { get; }

    /// <summary>Every kept candidate, in the order <see cref="Keep"/> was called.</summary>
    public IReadOnlyList<KeptCandidate> Kept => kept;

    /// <summary>How many candidates of this prompt have been kept.</summary>
    public int KeptCount(string prompt) => keptPerPrompt.GetValueOrDefault(prompt);

    /// <summary>Records a candidate the whole spec accepted (see the contract above).</summary>
    public void Keep(string prompt, string candidate)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(candidate);
        kept.Add(new KeptCandidate(prompt, candidate));
        keptPerPrompt[prompt] = KeptCount(prompt) + 1;
    }
}

/// <summary>A candidate the whole spec accepted, with the prompt it answers.</summary>
public readonly record struct KeptCandidate(string Prompt, string Text);
