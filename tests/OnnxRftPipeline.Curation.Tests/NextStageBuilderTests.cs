using OnnxRftPipeline.Curation.NextStage;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.Tests;

public class NextStageBuilderTests
{
    static readonly SftExample[] Data =
    [
        new() { Id = "a", Prompt = "Q: 1+1\n", Response = "#### 2" },
        new() { Id = "b", Prompt = "Q: 9+9\n", Response = "#### 81" },
        new() { Id = "c", Prompt = "Q: 5+5\n", Response = "#### 11" },
    ];
    static readonly HardnessRow[] Hardness =
    [
        new() { ExampleId = "a", IsHard = false },
        new() { ExampleId = "b", IsHard = true },
        new() { ExampleId = "c", IsHard = true },
    ];
    static CandidateRow C(string id, int i, string text, bool ok, double score = 1, double lp = -1) =>
        new() { PromptId = id, CandidateIndex = i, Text = text, Accepted = ok, Score = score, MeanLogprob = lp };

    static readonly CandidateRow[] Candidates =
    [
        C("b", 0, "9+9=18 #### 18", true, lp: -0.5),
        C("b", 1, "9+9=18  ####  18", true, lp: -0.1),    // whitespace variant of #0: one distinct path
        C("b", 2, "#### 18", true, lp: -0.9),
        C("b", 3, "#### 17", false, score: 0),
        C("c", 0, "#### 9", false, score: 0),
    ];

    [Fact]
    public void Easy_keep_originals_hard_get_distinct_accepted_candidates()
    {
        var (rows, s) = NextStageBuilder.Build(Data, Hardness, Candidates, new BuildOptions());
        Assert.Equal(["a", "b#c1", "b#c2", "c"], rows.Select(r => r.Id));
        Assert.Equal("original", rows[0].Origin);
        Assert.Equal("9+9=18  ####  18", rows[1].Response);   // best mean logprob of the duplicate pair wins
        Assert.All(rows.Where(r => r.Id.StartsWith("b")), r => Assert.Equal("generated", r.Origin));
        Assert.Equal("#### 11", rows[3].Response);             // c: no accepted candidate, fallback keeps original
        Assert.Equal((1, 2, 1, 1, 2, 1), (s.Easy, s.Hard, s.HardWithAccepted, s.Fallbacks, s.GeneratedRows, s.DuplicatesRemoved));
    }

    [Fact]
    public void Options_change_policy_cap_fallback_and_weights()
    {
        var (rows, s) = NextStageBuilder.Build(Data, Hardness, Candidates,
            new BuildOptions { Policy = "augment", Fallback = "drop", MaxPerPrompt = 1, Weighting = "per-prompt" });
        Assert.Equal(["a", "b", "b#c1"], rows.Select(r => r.Id));
        Assert.Equal(1, s.Dropped);
        var (rows2, _) = NextStageBuilder.Build(Data, Hardness, Candidates, new BuildOptions { Weighting = "per-prompt" });
        Assert.All(rows2.Where(r => r.Origin == "generated"), r => Assert.Equal(0.5, r.Weight, 12));
    }

    [Fact]
    public void Data_without_hardness_rows_is_refused_naming_the_example()
    {
        var e = Assert.Throws<InvalidDataException>(() => NextStageBuilder.Build(Data, Hardness[..2], Candidates, new BuildOptions()));
        Assert.Contains("'c'", e.Message);
        Assert.Throws<ArgumentException>(() => NextStageBuilder.Build(Data, Hardness, Candidates, new BuildOptions { Policy = "mix" }));
    }
}
