using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

/// <summary>Per-leaf verdicts on results and the per-filter counts over many results.</summary>
public class FilterTallyTests
{
    static VerifierResult Verify(IVerifier v, string candidate, string? answer = null) =>
        v.VerifyAsync(new VerifyInput("P", candidate, answer)).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void A_leaf_result_holds_itself_as_its_one_verdict()
    {
        var r = Verify(VerifierFactory.Create("numeric:tol=0.5"), "#### 3", "3");
        var v = Assert.Single(r.Verdicts);
        Assert.Equal(new FilterVerdict("numeric:tol=0.5", true, 1.0, r.Reason), v);
        var x = Verify(VerifierFactory.Create("exact"), "#### 4", "3");
        Assert.Equal(new FilterVerdict("exact", false, 0.0, x.Reason), Assert.Single(x.Verdicts));
        Assert.Equal("regex:pattern=a", Assert.Single(Verify(VerifierFactory.Create("regex:pattern=a"), "b").Verdicts).Spec);
    }

    [Fact]
    public void A_composite_lists_every_leaf_depth_first_in_spec_order()
    {
        const string spec = @"all(length:max=5;any(regex:pattern=^\d+$;exact);mean(numeric;length:min=2))";
        var r = Verify(VerifierFactory.Create(spec), "12345", "999");
        Assert.Equal([@"length:max=5", @"regex:pattern=^\d+$", "exact", "numeric", "length:min=2"], r.Verdicts.Select(v => v.Spec));
        Assert.Equal([true, true, false, false, true], r.Verdicts.Select(v => v.Accepted));
        Assert.Equal([1.0, 1.0, 0.0, 0.0, 1.0], r.Verdicts.Select(v => v.Score));
        Assert.True(r.Accepted); // any accepts (regex), mean = 0.5 accepts
    }

    [Fact]
    public void Tally_counts_rejections_per_filter_and_those_only_it_rejected()
    {
        const string spec = "all(length:min=3,max=6;regex:pattern=^[a-z]+$;length:min=3,max=6)";
        var v = VerifierFactory.Create(spec);
        string[] cands = ["abc", "ABC", "ab", "abcdefgh", "ABCDEFGH", "xyz1", "hello"];
        var t = FilterTally.Of(spec, cands.Select(c => Verify(v, c)));
        Assert.Equal(7, t.Judged);
        Assert.Equal(2, t.Accepted); // abc, hello
        // length (both copies) rejects ab, abcdefgh, ABCDEFGH; regex rejects ABC, ABCDEFGH, xyz1.
        // Only-it: regex alone rejects ABC and xyz1; the two identical length leaves never reject alone.
        Assert.Equal(
            [new FilterCount(0, "length:min=3,max=6", 3, 0), new FilterCount(1, "regex:pattern=^[a-z]+$", 3, 2), new FilterCount(2, "length:min=3,max=6", 3, 0)],
            t.Counts);
    }

    [Fact]
    public void Only_it_counts_nothing_when_the_whole_spec_accepted_anyway()
    {
        const string spec = "any(length:max=3;regex:pattern=^a)";
        var v = VerifierFactory.Create(spec);
        var t = FilterTally.Of(spec, new[] { "abcdef", "zz", "zzzzzz" }.Select(c => Verify(v, c)));
        Assert.Equal(2, t.Accepted);
        // "abcdef": length alone rejects, but any() keeps it: not removed. "zzzzzz": both reject: removed, by neither alone.
        Assert.Equal([new FilterCount(0, "length:max=3", 2, 0), new FilterCount(1, "regex:pattern=^a", 2, 0)], t.Counts);
    }

    [Fact]
    public void Tally_lists_filters_that_never_reject_and_refuses_results_of_another_spec()
    {
        var t = new FilterTally("all(length:max=100;cap:n=3)");
        Assert.Equal([0L, 0L], t.Counts.Select(c => c.Rejected));
        Assert.Equal(["length:max=100", "cap:n=3"], t.Counts.Select(c => c.Spec));
        var other = Verify(VerifierFactory.Create("all(length:max=1;length:max=2;length:max=3)"), "ab");
        var e = Assert.Throws<ArgumentException>(() => t.Add(other));
        Assert.Contains("3 leaf verdicts", e.Message);
    }
}
