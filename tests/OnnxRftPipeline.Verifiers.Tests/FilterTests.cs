using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

/// <summary>The reference-free filters one by one: length, cap, novelty; their spec errors; composition.</summary>
public class FilterTests
{
    static VerifierResult Verify(IVerifier v, string candidate, string prompt = "P") =>
        v.VerifyAsync(new VerifyInput(prompt, candidate, null)).AsTask().GetAwaiter().GetResult();

    /// <summary>Verifies in order and keeps what the whole spec accepts, as the sampling job does.</summary>
    internal static List<VerifierResult> Pass(IVerifier v, FilterContext ctx, IEnumerable<(string Prompt, string Text)> candidates)
    {
        var results = new List<VerifierResult>();
        foreach (var (p, t) in candidates)
        {
            var r = Verify(v, t, p);
            if (r.Accepted) ctx.Keep(p, t);
            results.Add(r);
        }
        return results;
    }

    [Theory]
    [InlineData("length:min=3,max=5", "ab", false)]
    [InlineData("length:min=3,max=5", "abc", true)]
    [InlineData("length:min=3,max=5", "abcde", true)]
    [InlineData("length:min=3,max=5", "abcdef", false)]
    [InlineData("length:min=3", "abcdefghij", true)]
    [InlineData("length:max=2", "", true)]
    [InlineData("length:max=2", "abc", false)]
    [InlineData("length:min=0,max=0", "", true)]
    public void Length_accepts_within_min_and_max_inclusive(string spec, string candidate, bool ok)
    {
        var r = Verify(VerifierFactory.Create(spec), candidate);
        Assert.Equal(ok, r.Accepted);
        Assert.Equal(ok ? 1.0 : 0.0, r.Score);
        Assert.Contains($"{candidate.Length} characters", r.Reason);
    }

    [Fact]
    public void Length_counts_text_elements_and_on_final_measures_the_final_answer()
    {
        // "e" + combining acute, and a family emoji of 8 UTF-16 units: 2 text elements, 10 UTF-16 units.
        const string two = "e\u0301\U0001F468\u200D\U0001F469\u200D\U0001F467";
        Assert.Equal(10, two.Length);
        Assert.True(Verify(VerifierFactory.Create("length:min=2,max=2"), two).Accepted);
        Assert.False(Verify(VerifierFactory.Create("length:max=4"), "steps...\n#### 42").Accepted);
        Assert.True(Verify(VerifierFactory.Create("length:max=4,on=final"), "steps...\n#### 42").Accepted);
        Assert.True(Verify(VerifierFactory.Create("length:max=4,on=final"), "1234").Accepted); // no marker: whole text
    }

    [Fact]
    public void Cap_accepts_while_fewer_than_n_of_the_same_prompt_are_kept()
    {
        var ctx = new FilterContext();
        var results = Pass(VerifierFactory.Create("cap:n=2", ctx), ctx,
            [("A", "1"), ("A", "2"), ("B", "1"), ("A", "3"), ("B", "2"), ("B", "3")]);
        Assert.Equal([true, true, true, false, true, false], results.Select(r => r.Accepted));
        Assert.Equal(2, ctx.KeptCount("A"));
        Assert.Equal(2, ctx.KeptCount("B"));
        Assert.Equal(0, ctx.KeptCount("C"));
        Assert.Contains("2 of 2 already kept", results[3].Reason);
    }

    [Fact]
    public void Cap_counts_only_candidates_the_whole_spec_kept()
    {
        // The too-long candidates pass cap but not length, so they are not kept and do not use up the cap.
        var ctx = new FilterContext();
        var results = Pass(VerifierFactory.Create("all(length:max=3;cap:n=2)", ctx), ctx,
            [("A", "long one"), ("A", "ab"), ("A", "another long one"), ("A", "cd"), ("A", "ef")]);
        Assert.Equal([false, true, false, true, false], results.Select(r => r.Accepted));
        Assert.Equal(["ab", "cd"], ctx.Kept.Select(k => k.Text));
    }

    [Fact]
    public void Novelty_rejects_texts_near_the_corpus_and_near_kept_candidates()
    {
        var ctx = new FilterContext(["the cat sat on the mat", "completely different words here"]);
        var v = VerifierFactory.Create("novelty:min=4", ctx);
        var results = Pass(v, ctx, [
            ("P", "the bat sat on the mat!"),       // 2 edits from corpus 0
            ("P", "a dog ran in the park today"),    // far from both
            ("Q", "a dog ran in the park todays"),   // 1 edit from the kept one
            ("Q", "a dog ran in the park"),          // 6 deletions from the kept one: far enough
        ]);
        Assert.Equal([false, true, false, true], results.Select(r => r.Accepted));
        Assert.Equal("novelty: nearest is corpus text 0 at distance 2 (< 4)", results[0].Reason);
        Assert.Equal(0.5, results[0].Score);
        Assert.Equal("novelty: nearest is kept text 0 at distance 1 (< 4)", results[2].Reason);
        Assert.Equal(0.25, results[2].Score);
        Assert.Equal(1.0, results[1].Score);
        Assert.StartsWith("novelty: all 2 texts (2 corpus, 0 kept) are at distance ≥ 4", results[1].Reason);
        Assert.StartsWith("novelty: all 3 texts (2 corpus, 1 kept) are at distance ≥ 4", results[3].Reason);
    }

    [Fact]
    public void Novelty_ratio_normalises_by_the_longer_text()
    {
        // 5 edits: far enough for min=3, but 5/40 = 0.125 < ratio 0.25.
        var baseText = new string('a', 40);
        var cand = new string('a', 35) + "bbbbb";
        var ctx = new FilterContext([baseText]);
        var r = Verify(VerifierFactory.Create("novelty:min=3,ratio=0.25", ctx), cand);
        Assert.False(r.Accepted);
        Assert.Equal(0.125 / 0.25, r.Score, 12);
        Assert.Contains("distance 5 (= 0.125 of 40 characters, ratio < 0.25)", r.Reason);
        Assert.True(Verify(VerifierFactory.Create("novelty:min=3,ratio=0.1", ctx), cand).Accepted);
        Assert.False(Verify(VerifierFactory.Create("novelty:min=6,ratio=0.1", ctx), cand).Accepted);
    }

    [Fact]
    public void Novelty_on_final_compares_final_answers_of_both_sides()
    {
        var ctx = new FilterContext(["long reasoning one\n#### 1234"]);
        const string cand = "quite different reasoning, much longer than before\n#### 1234";
        Assert.True(Verify(VerifierFactory.Create("novelty:min=3", ctx), cand).Accepted);
        var r = Verify(VerifierFactory.Create("novelty:min=3,on=final", ctx), cand);
        Assert.False(r.Accepted);
        Assert.Equal(0.0, r.Score);
    }

    [Fact]
    public void Novelty_with_nothing_to_compare_accepts()
    {
        var r = Verify(VerifierFactory.Create("novelty:min=5", new FilterContext()), "anything");
        Assert.True(r.Accepted);
        Assert.Equal(1.0, r.Score);
        Assert.StartsWith("novelty: all 0 texts", r.Reason);
    }

    [Fact]
    public void Exact_copies_of_a_kept_candidate_are_rejected_across_prompts()
    {
        var ctx = new FilterContext();
        var results = Pass(VerifierFactory.Create("novelty:min=1", ctx), ctx, [("A", "MKTAYIAKQR"), ("B", "MKTAYIAKQR"), ("B", "MKTAYIAKQK")]);
        Assert.Equal([true, false, true], results.Select(r => r.Accepted));
        Assert.Equal(0.0, results[1].Score);
    }

    [Theory]
    [InlineData("length", "'length' needs option 'min=...' or 'max=...'")]
    [InlineData("length:on=final", "'length' needs option 'min=...' or 'max=...'")]
    [InlineData("length:min=5,max=3", "option 'min' of 'length' (5) is greater than 'max' (3)")]
    [InlineData("length:min=-1", "option 'min' of 'length' must be in [0,")]
    [InlineData("length:max=2.5", "option 'max' of 'length' must be a whole number, got '2.5'")]
    [InlineData("length:min=1,on=both", "option 'on' of 'length' must be one of whole, final, got 'both'")]
    [InlineData("length:min=1,size=3", "unknown option 'size' for 'length' (known: min, max, on)")]
    [InlineData("novelty", "'novelty' needs option 'min=...'")]
    [InlineData("novelty:ratio=0.2", "'novelty' needs option 'min=...'")]
    [InlineData("novelty:min=0", "option 'min' of 'novelty' must be in [1,")]
    [InlineData("novelty:min=x", "option 'min' of 'novelty' must be a whole number, got 'x'")]
    [InlineData("novelty:min=3,ratio=1.5", "option 'ratio' of 'novelty' must be in [0, 1], got '1.5'")]
    [InlineData("novelty:min=3,ratio=0", "option 'ratio' of 'novelty' must be greater than 0")]
    [InlineData("cap", "'cap' needs option 'n=...'")]
    [InlineData("cap:n=0", "option 'n' of 'cap' must be in [1,")]
    [InlineData("cap(length:min=1):n=2", "'cap' takes no (...) list")]
    [InlineData("lenght:min=1", "unknown verifier 'lenght' (known: exact, numeric, regex, cmd, all, any, mean) or filter (known: length, novelty, cap)")]
    public void Bad_filter_specs_name_the_bad_part(string spec, string expected)
    {
        var e = Assert.Throws<VerifierSpecException>(() => VerifierFactory.Create(spec, new FilterContext()));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"\"{spec}\"", e.Message);
    }

    [Theory]
    [InlineData("novelty:min=3", "novelty:min=3")]
    [InlineData("cap:n=2", "cap:n=2")]
    [InlineData("all(length:max=9;any(exact;cap:n=1))", "cap:n=1")]
    public void A_stateful_filter_without_a_context_is_a_spec_error_naming_it(string spec, string leaf)
    {
        var e = Assert.Throws<VerifierSpecException>(() => VerifierFactory.Create(spec));
        Assert.Contains($"\"{leaf}\"", e.Message);
        Assert.Contains("needs a FilterContext", e.Message);
        Assert.Contains("VerifierFactory.Create(spec, context)", e.Message);
        Assert.True(VerifierFactory.UsesFilterContext(spec));
    }

    [Fact]
    public void Specs_without_stateful_filters_build_with_or_without_a_context()
    {
        Assert.IsType<LengthFilter>(VerifierFactory.Create("length:max=5"));
        Assert.IsType<LengthFilter>(VerifierFactory.Create("length:max=5", new FilterContext()));
        Assert.IsType<NoveltyFilter>(VerifierFactory.Create("novelty:min=2", new FilterContext()));
        Assert.IsType<CapFilter>(VerifierFactory.Create("cap:n=2", new FilterContext()));
        Assert.False(VerifierFactory.UsesFilterContext("all(length:max=5;regex:pattern=a)"));
        Assert.Equal("length:min=1,max=5", VerifierFactory.Create(" length : min = 1 , max = 5 ").Spec);
    }

    [Fact]
    public void Filters_compose_with_all_any_and_mean()
    {
        var ctx = new FilterContext(["ACDEFGHIKL"]);
        VerifierResult R(string spec, string cand) => Verify(VerifierFactory.Create(spec, ctx), cand);
        // "ACDEFGHIKM" is 1 edit from the corpus (novelty rejects) and 10 long (length accepts).
        const string copy = "ACDEFGHIKM";
        var all = R("all(length:min=5,max=20;novelty:min=3)", copy);
        Assert.False(all.Accepted);
        Assert.Equal(1.0 / 3, all.Score, 12);
        var any = R("any(length:min=5,max=20;novelty:min=3)", copy);
        Assert.True(any.Accepted);
        Assert.Equal(1.0, any.Score);
        var mean = R("mean(length:min=5,max=20;novelty:min=3)", copy);
        Assert.Equal((1 + 1.0 / 3) / 2, mean.Score, 12);
        Assert.True(mean.Accepted);
        Assert.False(R("mean(length:min=5,max=20;novelty:min=3):threshold=0.7", copy).Accepted);
        Assert.True(R("all(length:min=5,max=20;novelty:min=3;regex:pattern=^[A-Z]+$)", "WWWWWWWWPP").Accepted);
        Assert.Contains("-novelty: nearest is corpus text 0 at distance 1", all.Reason);
    }
}
