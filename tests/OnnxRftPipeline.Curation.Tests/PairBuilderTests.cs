using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Pairs;

namespace OnnxRftPipeline.Curation.Tests;

public class PairBuilderTests
{
    static readonly SftExample[] Data =
    [
        new() { Id = "a", Prompt = "Q: 1+1\n", Response = "#### 2" },
        new() { Id = "b", Prompt = "Q: 9+9\n", Response = "#### 18" },
        new() { Id = "c", Prompt = "Q: 5+5\n", Response = "#### 10" },
        new() { Id = "d", Prompt = "Q: 2+2\n", Response = "#### 4" },
    ];

    static SourcedCandidate C(string id, int i, string text, bool ok, double score = -1, double lp = -1, int row = 0) =>
        new(new CandidateRow { PromptId = id, CandidateIndex = i, Text = text, Accepted = ok, Score = score < 0 ? (ok ? 1 : 0) : score, MeanLogprob = lp,
            Verifier = "numeric", ModelVersion = "v1" }, "cands/part-00000.parquet", row);

    static readonly SourcedCandidate[] Candidates =
    [
        C("a", 1, "#### 3", false),
        C("a", 0, "1+1=2 #### 2", true, lp: -0.2),
        C("a", 2, "####  3", false),               // whitespace variant of #1: one distinct rejected text
        C("b", 0, "#### 18", true),                // the demonstration's own text: never a rejected side
        C("b", 1, "9+9=18 #### 18", true, lp: -0.7),
        C("c", 0, "#### 11", false),
        C("c", 1, "#### 12", false),
        // d has no candidates
    ];

    [Fact]
    public void By_default_a_verified_answer_is_chosen_and_never_rejected()
    {
        var (rows, s) = PairBuilder.Build(Data, "data", Candidates, new PairOptions());
        // a: the accepted candidate beats the demonstration as chosen; b: every sample was accepted, so no pair;
        // c: nothing accepted, the demonstration is chosen.
        Assert.Equal(["a#r1", "c#r0"], rows.Select(r => r.Id));
        Assert.Equal([PairBuilder.AcceptedCandidate, PairBuilder.Demonstration], rows.Select(r => r.ChosenOrigin));
        Assert.All(rows, r => Assert.False(r.RejectedAccepted));
        Assert.Equal(1, s.SkippedNoRejected);
    }

    [Fact]
    public void Spin_form_demo_is_chosen_and_a_verifier_rejected_candidate_is_the_other_side()
    {
        var (rows, s) = PairBuilder.Build(Data, "data", Candidates, new PairOptions { Chosen = "demo", Rejected = "rejected-or-any" });
        Assert.Equal(["a#r1", "b#r1", "c#r0"], rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(PairBuilder.Demonstration, r.ChosenOrigin));
        Assert.All(rows, r => Assert.Null(r.ChosenCandidateIndex));
        Assert.Equal(("#### 2", "#### 3", PairBuilder.VerifierRejected, false), (rows[0].Chosen, rows[0].Rejected, rows[0].RejectedReason, rows[0].RejectedAccepted));
        // b: every candidate was accepted, so rejected-or-any falls back to any sample that differs from the demonstration.
        Assert.Equal(("#### 18", "9+9=18 #### 18", PairBuilder.AnySample, true), (rows[1].Chosen, rows[1].Rejected, rows[1].RejectedReason, rows[1].RejectedAccepted));
        Assert.Equal(("Q: 5+5\n", "c", "v1", "numeric"), (rows[2].Prompt, rows[2].PromptId, rows[2].ModelVersion, rows[2].Verifier));
        Assert.Equal((4, 3, 3, 3, 0, 2, 1, 1, 0, 1, 1), (s.Prompts, s.PromptsWithCandidates, s.Pairs, s.ChosenDemonstration, s.ChosenAccepted,
            s.VerifierRejected, s.AnySample, s.SkippedNoCandidates, s.SkippedNoRejected, s.CandidatesLikeChosen, s.DuplicatesRemoved));
    }

    [Fact]
    public void Rejected_only_policy_skips_prompts_without_a_rejected_candidate()
    {
        var (rows, s) = PairBuilder.Build(Data, "data", Candidates, new PairOptions { Chosen = "demo", Rejected = "rejected" });
        Assert.Equal(["a#r1", "c#r0"], rows.Select(r => r.Id));
        Assert.Equal(1, s.SkippedNoRejected);
    }

    [Fact]
    public void Any_policy_takes_samples_in_index_order_regardless_of_the_verdict()
    {
        var (rows, _) = PairBuilder.Build(Data, "data", Candidates, new PairOptions { Chosen = "demo", Rejected = "any", PairsPerPrompt = 2 });
        // a#r0 is an accepted sample and differs from the demonstration text, so it is a usable "generated" side.
        Assert.Equal(["a#r0", "a#r1", "b#r1", "c#r0", "c#r1"], rows.Select(r => r.Id));
    }

    [Fact]
    public void Accepted_chosen_uses_the_best_accepted_candidate_and_falls_back_to_the_demonstration()
    {
        var (rows, s) = PairBuilder.Build(Data, "data", Candidates, new PairOptions { Chosen = "accepted", Rejected = "rejected-or-any" });
        var a = rows.Single(r => r.PromptId == "a");
        Assert.Equal(("1+1=2 #### 2", PairBuilder.AcceptedCandidate, (int?)0, "#### 3"), (a.Chosen, a.ChosenOrigin, a.ChosenCandidateIndex, a.Rejected));
        // b: both accepted with equal score, mean logprob −0.7 beats −1 → #1 is chosen; the other accepted sample is the rejected side.
        var b = rows.Single(r => r.PromptId == "b");
        Assert.Equal(("9+9=18 #### 18", 1, "#### 18", 0), (b.Chosen, b.ChosenCandidateIndex!.Value, b.Rejected, b.RejectedCandidateIndex));
        // c: nothing accepted → the demonstration is chosen.
        var c = rows.Single(r => r.PromptId == "c");
        Assert.Equal((PairBuilder.Demonstration, "#### 10"), (c.ChosenOrigin, c.Chosen));
        Assert.Equal((1, 2), (s.ChosenDemonstration, s.ChosenAccepted));
    }

    [Fact]
    public void Same_inputs_in_any_candidate_order_give_the_same_pairs()
    {
        var (x, _) = PairBuilder.Build(Data, "data", Candidates, new PairOptions { Rejected = "any", PairsPerPrompt = 3 });
        var (y, _) = PairBuilder.Build(Data, "data", Candidates.Reverse().ToArray(), new PairOptions { Rejected = "any", PairsPerPrompt = 3 });
        Assert.Equal(x.Select(r => (r.Id, r.Chosen, r.Rejected, r.Lineage)), y.Select(r => (r.Id, r.Chosen, r.Rejected, r.Lineage)));
    }

    [Fact]
    public void Errors_name_the_file_row_and_value()
    {
        var e = Assert.Throws<InvalidDataException>(() => PairBuilder.Build(Data, "data", [C("zz", 0, "x", false, row: 7)], new PairOptions()));
        Assert.Contains("cands/part-00000.parquet: row 7", e.Message);
        Assert.Contains("'zz'", e.Message);
        var dup = Assert.Throws<InvalidDataException>(() => PairBuilder.Build(Data, "data", [C("a", 0, "x", false, row: 1), C("a", 0, "y", false, row: 4)], new PairOptions()));
        Assert.Contains("row 4", dup.Message);
        Assert.Contains("candidate_index 0", dup.Message);
        var dupData = Assert.Throws<InvalidDataException>(() => PairBuilder.Build([.. Data, Data[0]], "train/", [], new PairOptions()));
        Assert.Contains("train/: row 4", dupData.Message);
        Assert.Throws<ArgumentException>(() => PairBuilder.Build(Data, "data", [], new PairOptions { Rejected = "best" }));
        Assert.Throws<ArgumentException>(() => PairBuilder.Build(Data, "data", [], new PairOptions { PairsPerPrompt = 0 }));
    }
}
