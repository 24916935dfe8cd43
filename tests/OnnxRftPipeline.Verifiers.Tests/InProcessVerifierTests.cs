using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

public class InProcessVerifierTests
{
    static VerifierResult Run(string spec, string candidate, string? answer, string prompt = "Q: x\n") =>
        VerifierFactory.Create(spec).VerifyAsync(new VerifyInput(prompt, candidate, answer)).AsTask().GetAwaiter().GetResult();

    [Theory]
    [InlineData("1+2=3\n#### 3", "3", true)]
    [InlineData("1+2=3\n####  3  \n", "3", true)]
    [InlineData("1+2=3\n#### 4", "3", false)]
    [InlineData("abc", "abc", true)]
    [InlineData("a  b\tc", "a b c", true)]
    public void Exact_compares_the_final_answer_with_whitespace_normalised(string candidate, string answer, bool ok)
    {
        var r = Run("exact", candidate, answer);
        Assert.Equal(ok, r.Accepted);
        Assert.Equal(ok ? 1.0 : 0.0, r.Score);
    }

    [Fact]
    public void Exact_options_change_normalisation_case_and_scope()
    {
        Assert.False(Run("exact:norm=none", " abc", "abc").Accepted);
        Assert.True(Run("exact:norm=trim", " abc ", "abc").Accepted);
        Assert.False(Run("exact:norm=trim", "a  b", "a b").Accepted);
        Assert.False(Run("exact", "ABC", "abc").Accepted);
        Assert.True(Run("exact:case=insensitive", "ABC", "abc").Accepted);
        Assert.False(Run("exact:on=whole", "x\n#### abc", "abc").Accepted);
        Assert.True(Run("exact:on=whole", "x\n#### abc", "x\n#### abc").Accepted);
    }

    [Fact]
    public void Exact_without_a_reference_answer_is_an_error_not_a_rejection()
    {
        var e = Assert.Throws<VerifierException>(() => Run("exact", "abc", null));
        Assert.Contains("no reference answer", e.Message);
    }

    [Theory]
    [InlineData("7+5=12\n#### 432", "432", true)]
    [InlineData("#### 1,234 apples", "1234", true)]
    [InlineData("so the answer is 14-5=9", "9", true)]
    [InlineData("the result is -3.", "-3", true)]
    [InlineData("#### 9\nthen 10", "9", true)]
    [InlineData("#### 9.0000001", "9", true)]
    [InlineData("#### 9.01", "9", false)]
    [InlineData("#### nothing", "9", false)]
    [InlineData("no digits here", "9", false)]
    [InlineData("#### 431", "#### 432", false)]
    [InlineData("x=2.5e3", "2500", true)]
    public void Numeric_reads_the_number_after_the_marker_or_the_last_number(string candidate, string answer, bool ok)
    {
        Assert.Equal(ok, Run("numeric", candidate, answer).Accepted);
    }

    [Fact]
    public void Numeric_tolerances()
    {
        Assert.True(Run("numeric:tol=0.1", "#### 9.05", "9").Accepted);
        Assert.False(Run("numeric:tol=0.01", "#### 9.05", "9").Accepted);
        Assert.True(Run("numeric:rtol=0.01", "#### 1005", "1000").Accepted);
        Assert.False(Run("numeric:rtol=0.001", "#### 1005", "1000").Accepted);
    }

    [Fact]
    public void Numeric_with_a_non_numeric_reference_is_an_error()
    {
        var e = Assert.Throws<VerifierException>(() => Run("numeric", "#### 3", "abc"));
        Assert.Contains("reference answer 'abc' contains no number", e.Message);
    }

    [Fact]
    public void Regex_matches_and_optionally_compares_a_group_with_the_answer()
    {
        Assert.True(Run(@"regex:pattern=^\d+$", "123", null).Accepted);
        Assert.False(Run(@"regex:pattern=^\d+$", "12a", null).Accepted);
        Assert.True(Run(@"regex:pattern=#### (\d+)$,group=1", "x\n#### 42", "42").Accepted);
        Assert.False(Run(@"regex:pattern=#### (\d+)$,group=1", "x\n#### 41", "42").Accepted);
        Assert.True(Run(@"regex:pattern=#### (?<ans>\d+),group=ans", "#### 42", "42").Accepted);
        Assert.True(Run("regex:pattern=^abc$,flags=i", "ABC", null).Accepted);
        Assert.True(Run(@"regex:pattern=^\d+$,on=final", "steps\n#### 12", null).Accepted);
        Assert.False(Run(@"regex:pattern=^\d+$", "steps\n#### 12", null).Accepted);
    }

    [Fact]
    public void Composites_combine_scores_and_acceptance()
    {
        // numeric accepts, regex (requires letters only) rejects.
        const string cand = "#### 42";
        var all = Run(@"all(numeric;regex:pattern=^[a-z]+$)", cand, "42");
        Assert.False(all.Accepted);
        Assert.Equal(0.0, all.Score);
        var any = Run(@"any(numeric;regex:pattern=^[a-z]+$)", cand, "42");
        Assert.True(any.Accepted);
        Assert.Equal(1.0, any.Score);
        var mean = Run(@"mean(numeric;regex:pattern=^[a-z]+$;exact)", cand, "42");
        Assert.Equal(2.0 / 3, mean.Score, 9);
        Assert.True(mean.Accepted);
        Assert.False(Run(@"mean(numeric;regex:pattern=^[a-z]+$;exact):threshold=0.7", cand, "42").Accepted);
        Assert.Contains("numeric", mean.Reason);
        Assert.Contains("regex: no match", mean.Reason);
    }
}
