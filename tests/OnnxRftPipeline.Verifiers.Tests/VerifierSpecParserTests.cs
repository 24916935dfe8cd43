using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

public class VerifierSpecParserTests
{
    [Fact]
    public void Parses_name_only()
    {
        var s = VerifierSpec.Parse("  exact ");
        Assert.Equal("exact", s.Name);
        Assert.Empty(s.Children);
        Assert.Empty(s.Options);
    }

    [Fact]
    public void Parses_options_in_order()
    {
        var s = VerifierSpec.Parse("numeric:tol=1e-6, rtol = 0.01");
        Assert.Equal([new("tol", "1e-6"), new("rtol", "0.01")], s.Options);
    }

    [Fact]
    public void Bare_values_keep_balanced_parentheses_and_backslash_escapes()
    {
        var s = VerifierSpec.Parse(@"regex:pattern=^(\d+|x,y)\,\)$,group=1");
        Assert.Equal(@"^(\d+|x,y)\,\)$", s.Options[0].Value);
        Assert.Equal("1", s.Options[1].Value);
    }

    [Fact]
    public void Quoted_values_may_hold_any_character_and_doubled_quotes()
    {
        var s = VerifierSpec.Parse("regex:pattern=\"a;b)\"\"c\",flags='i'");
        Assert.Equal("a;b)\"c", s.Options[0].Value);
        Assert.Equal("i", s.Options[1].Value);
    }

    [Fact]
    public void Parses_nested_composites_with_trailing_options()
    {
        var s = VerifierSpec.Parse(@"mean(all(numeric;regex:pattern=^\d+$);exact:norm=trim):threshold=0.6");
        Assert.Equal("mean", s.Name);
        Assert.Equal(2, s.Children.Count);
        Assert.Equal("all", s.Children[0].Name);
        Assert.Equal(@"^\d+$", s.Children[0].Children[1].Options[0].Value);
        Assert.Equal("trim", s.Children[1].Options[0].Value);
        Assert.Equal("0.6", s.Options[0].Value);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData(@"regex:pattern=^(\d+)$,group=1")]
    [InlineData("regex:pattern=\"a;b\"\"c\"")]
    [InlineData("any(exact:case=insensitive;cmd:path=/bin/sh,arg=-c,arg=\"echo 1\",timeout=5):threshold=0.5")]
    public void Canonical_text_parses_back_to_the_same_tree(string spec)
    {
        var once = VerifierSpec.Parse(spec);
        var twice = VerifierSpec.Parse(once.ToString());
        Assert.Equal(once.ToString(), twice.ToString());
        Assert.Equal(once.Options, twice.Options);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("all(exact;numeric", "never closed")]
    [InlineData("all(exact numeric)", "expected ';' or ')'")]
    [InlineData("all()", "empty verifier")]
    [InlineData("numeric:tol", "option 'tol' of 'numeric' needs a value")]
    [InlineData("numeric:=3", "expected an option name")]
    [InlineData("regex:pattern=\"abc", "never closed (missing \")")]
    [InlineData("regex:pattern=(abc", "unbalanced '('")]
    [InlineData("exact)", "unexpected ')'")]
    [InlineData("9exact", "expected a verifier name")]
    public void Syntax_errors_name_the_problem_and_position(string spec, string expected)
    {
        var e = Assert.Throws<VerifierSpecException>(() => VerifierSpec.Parse(spec));
        Assert.Contains(expected, e.Message);
        Assert.Contains("position", e.Message);
    }
}
