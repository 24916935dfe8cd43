using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

/// <summary>Which specs need a reference answer, so self-distillation on prompt-only data can refuse them up front.</summary>
public class ReferenceAnswerTests
{
    [Theory]
    [InlineData("exact", true)]
    [InlineData("numeric:tol=1", true)]
    [InlineData(@"regex:pattern=#### (\d+),group=1", true)]
    [InlineData(@"regex:pattern=^\d+$", false)]
    [InlineData("cmd:path=./judge.sh", false)]
    [InlineData("length:max=10", false)]
    [InlineData("novelty:min=3", false)]
    [InlineData("cap:n=2", false)]
    [InlineData("all(length:max=10;novelty:min=3;cap:n=2)", false)]
    [InlineData("any(length:max=10;exact)", true)]
    [InlineData("mean(cmd:path=x;all(cap:n=1;numeric))", true)]
    public void Needs_a_reference_answer_when_some_leaf_compares_with_it(string spec, bool needs)
    {
        Assert.Equal(needs, VerifierFactory.NeedsReferenceAnswer(spec));
    }

    [Fact]
    public void The_refusal_names_each_filter_that_needs_one()
    {
        const string spec = @"all(length:max=10;numeric;regex:pattern=(\d+),group=1)";
        // Canonical specs: a value with parentheses is quoted.
        Assert.Equal(["numeric", @"regex:pattern=""(\d+)"",group=1"], VerifierFactory.FiltersNeedingReferenceAnswer(spec));
        var e = Assert.Throws<VerifierSpecException>(() => VerifierFactory.RequireNoReferenceAnswer(spec));
        Assert.Contains(@"'numeric', 'regex:pattern=""(\d+)"",group=1' compare with a reference answer, and the data has none", e.Message);
        VerifierFactory.RequireNoReferenceAnswer("all(length:max=10;novelty:min=2)"); // does not throw
    }

    [Fact]
    public void A_malformed_spec_is_reported_as_such_not_as_needing_no_answer()
    {
        Assert.Contains("unknown verifier 'bogus'", Assert.Throws<VerifierSpecException>(() => VerifierFactory.NeedsReferenceAnswer("all(bogus)")).Message);
        Assert.Contains("'cap' needs option 'n=...'", Assert.Throws<VerifierSpecException>(() => VerifierFactory.NeedsReferenceAnswer("cap")).Message);
    }
}
