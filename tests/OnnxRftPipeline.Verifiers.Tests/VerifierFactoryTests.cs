using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

public class VerifierFactoryTests
{
    [Theory]
    [InlineData("exact", typeof(ExactMatchVerifier))]
    [InlineData("numeric:tol=1e-6", typeof(NumericVerifier))]
    [InlineData(@"regex:pattern=^\d+$", typeof(RegexVerifier))]
    [InlineData("cmd:path=./score.sh,timeout=5", typeof(CommandVerifier))]
    [InlineData(@"all(numeric;regex:pattern=^\d+$)", typeof(CompositeVerifier))]
    public void Builds_each_builtin_and_records_its_canonical_spec(string spec, Type type)
    {
        var v = VerifierFactory.Create(spec);
        Assert.IsType(type, v);
        Assert.Equal(VerifierSpec.Parse(spec).ToString(), v.Spec);
    }

    [Theory]
    [InlineData("numerc", "unknown verifier 'numerc' (known: exact, numeric, regex, cmd, all, any, mean)")]
    [InlineData("numeric:tl=3", "unknown option 'tl' for 'numeric' (known: tol, rtol)")]
    [InlineData("numeric:tol=abc", "option 'tol' of 'numeric' must be a number, got 'abc'")]
    [InlineData("numeric:tol=-1", "option 'tol' of 'numeric' must be in [0")]
    [InlineData("numeric:tol=1,tol=2", "option 'tol' of 'numeric' is given more than once")]
    [InlineData("exact:norm=fancy", "option 'norm' of 'exact' must be one of none, trim, ws, got 'fancy'")]
    [InlineData("regex", "'regex' needs option 'pattern=...'")]
    [InlineData("regex:pattern=[a-", "is not a valid regular expression")]
    [InlineData("regex:pattern=a(b)c,group=2", "the pattern has no group '2'")]
    [InlineData("regex:pattern=a,flags=x", "takes letters i, m, s; got 'x'")]
    [InlineData("cmd:timeout=3", "'cmd' needs option 'path=...'")]
    [InlineData("cmd:path=x,timeout=0", "option 'timeout' of 'cmd' must be in")]
    [InlineData("exact(numeric)", "'exact' takes no (...) list")]
    [InlineData("mean:threshold=0.5", "'mean' needs verifiers in parentheses")]
    [InlineData("all(exact;bogus:x=1)", "unknown verifier 'bogus'")]
    [InlineData("any(exact):threshold=2", "option 'threshold' of 'any' must be in [0, 1], got '2'")]
    public void Bad_specs_give_errors_naming_the_bad_part(string spec, string expected)
    {
        var e = Assert.Throws<VerifierSpecException>(() => VerifierFactory.Create(spec));
        Assert.Contains(expected, e.Message);
    }
}
