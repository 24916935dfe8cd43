using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Accepts when the candidate matches a .NET regular expression (searched, not anchored: use ^ and $).
/// With <c>group</c>, the captured group (number or name) must also equal the reference answer after trimming.
/// Spec: <c>regex:pattern=RE[,group=N|NAME][,flags=ims][,on=whole|final]</c>; on=final matches only the text
/// after the last <c>####</c>. A match that runs longer than 1 s counts as an error, not a rejection.
/// </summary>
public sealed class RegexVerifier : IVerifier
{
    readonly Regex regex;
    readonly string? group;
    readonly bool finalOnly;

    public RegexVerifier(string pattern, string? group = null, RegexOptions options = RegexOptions.None, bool finalOnly = false)
    {
        // A fixed timeout stops a pathological pattern from hanging a sampling run.
        regex = new Regex(pattern, options | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        this.finalOnly = finalOnly;
        if (group is not null)
        {
            bool exists = int.TryParse(group, out var n) ? regex.GetGroupNumbers().Contains(n) : regex.GetGroupNames().Contains(group);
            if (!exists) throw new ArgumentException($"the pattern has no group '{group}'");
        }
        this.group = group;
    }

    public string Spec { get; init; } = "regex";

    public ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default) =>
        ValueTask.FromResult(Judge(input).AsLeaf(Spec));

    VerifierResult Judge(VerifyInput input)
    {
        var text = finalOnly ? FinalAnswer.FinalOrWhole(input.Candidate) : input.Candidate;
        Match m;
        try { m = regex.Match(text); }
        catch (RegexMatchTimeoutException e)
        {
            throw new VerifierException($"{Spec}: matching took longer than 1 s; simplify the pattern.", e);
        }
        if (!m.Success) return VerifierResult.Fail("regex: no match");
        if (group is null) return VerifierResult.Pass($"regex: matched '{ExactMatchVerifier.Clip(m.Value)}'");
        if (input.Answer is null)
            throw new VerifierException($"{Spec}: group={group} is compared with the reference answer, but the example has none.");
        var g = int.TryParse(group, out var n) ? m.Groups[n] : m.Groups[group];
        var got = g.Success ? g.Value.Trim() : null;
        var want = FinalAnswer.FinalOrWhole(input.Answer).Trim();
        if (got is null) return VerifierResult.Fail($"regex: group {group} did not participate in the match");
        return got == want
            ? VerifierResult.Pass($"regex: group {group} '{ExactMatchVerifier.Clip(got)}' matches")
            : VerifierResult.Fail($"regex: group {group} '{ExactMatchVerifier.Clip(got)}' != '{ExactMatchVerifier.Clip(want)}'");
    }
}
