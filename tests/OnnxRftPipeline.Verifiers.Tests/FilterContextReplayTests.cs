using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

/// <summary>Resume: replaying the kept candidates of finished parts through Keep, then continuing, equals one straight pass.</summary>
public class FilterContextReplayTests
{
    const string Spec = "all(length:min=4;novelty:min=3;cap:n=2)";

    // 6 prompts × 4 candidates in (prompt id, candidate index) order. Later prompts repeat and near-repeat earlier
    // answers, so novelty against kept candidates of the first part decides verdicts in the second.
    static readonly (string Prompt, string Text)[] Candidates =
    [
        ("p1", "alpha beta"), ("p1", "alpha betas"), ("p1", "gamma delta"), ("p1", "epsilon zeta"),
        ("p2", "eta theta"), ("p2", "iota"), ("p2", "kappa lambda"), ("p2", "mu"),
        ("p3", "nu xi omicron"), ("p3", "pi rho"), ("p3", "sigma tau"), ("p3", "upsilon"),
        ("p4", "alpha beta"), ("p4", "gamma deltas"), ("p4", "phi chi"), ("p4", "psi"),
        ("p5", "eta theta!"), ("p5", "kappa lambda"), ("p5", "one two three"), ("p5", "four five six"),
        ("p6", "nu xi omicron"), ("p6", "seven eight"), ("p6", "nine ten"), ("p6", "eleven twelve"),
    ];

    static readonly string[] Corpus = ["the corpus answer", "pi rho sigma", "four five six"];

    static List<VerifierResult> Run(FilterContext ctx, IEnumerable<(string, string)> cands) =>
        FilterTests.Pass(VerifierFactory.Create(Spec, ctx), ctx, cands);

    [Fact]
    public void Replay_then_continue_equals_one_straight_pass()
    {
        var straightCtx = new FilterContext(Corpus);
        var straight = Run(straightCtx, Candidates);

        // Interrupted after part 1 (prompts p1..p3); its rows, with their Accepted flags, are on disk.
        var part1 = Candidates.Take(12).ToArray();
        var part1Results = Run(new FilterContext(Corpus), part1);

        // A fresh process: new context, replay part 1's kept candidates in order, then verify part 2.
        var resumed = new FilterContext(Corpus);
        for (int i = 0; i < part1.Length; i++)
            if (part1Results[i].Accepted) resumed.Keep(part1[i].Prompt, part1[i].Text);
        var part2Results = Run(resumed, Candidates.Skip(12));

        var both = part1Results.Concat(part2Results).ToList();
        Assert.Equal(straight.Select(r => (r.Accepted, r.Score, r.Reason)), both.Select(r => (r.Accepted, r.Score, r.Reason)));
        Assert.Equal(straightCtx.Kept, resumed.Kept);

        // The scenario exercises all three filters across the part boundary: part 2 has candidates rejected by
        // novelty against part 1's kept ones, by the cap and by length.
        var part2Verdicts = part2Results.SelectMany(r => r.Verdicts).ToList();
        Assert.Contains(part2Verdicts, v => v.Spec == "novelty:min=3" && !v.Accepted && v.Reason.Contains("kept text"));
        Assert.Contains(part2Verdicts, v => v.Spec == "cap:n=2" && !v.Accepted);
        Assert.Contains(part2Verdicts, v => v.Spec == "length:min=4" && !v.Accepted);
    }

    [Fact]
    public void Continuing_without_the_replay_gives_different_verdicts()
    {
        // The control for the test above: the replay matters, so a caller that skips it would be caught.
        var straight = Run(new FilterContext(Corpus), Candidates);
        var noReplay = Run(new FilterContext(Corpus), Candidates.Skip(12));
        Assert.NotEqual(straight.Skip(12).Select(r => r.Accepted), noReplay.Select(r => r.Accepted));
    }
}
