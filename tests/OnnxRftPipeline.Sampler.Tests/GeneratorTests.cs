using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>The standard-ops graph: the cache is concatenated by the graph and handed back each step.</summary>
public sealed class StandardGeneratorTests(RandomModelFixture model) : GeneratorTests(model), IClassFixture<RandomModelFixture>
{
    [Fact]
    public void Standard_model_does_not_share_past_and_present() => Assert.False(model.Decoder.SharesPastPresent);
}

/// <summary>The contrib graph: every rule again through the in-place cache (IOBinding, one buffer per layer).</summary>
public sealed class ContribGeneratorTests(ContribModelFixture model) : InPlaceGeneratorTests(model), IClassFixture<ContribModelFixture>;

/// <summary>The contrib graph at head size 16 (GroupQueryAttention's rotary on the packed projection), through the in-place cache.</summary>
public sealed class ContribPackedGeneratorTests(ContribPackedModelFixture model) : InPlaceGeneratorTests(model), IClassFixture<ContribPackedModelFixture>;

/// <summary>The standard-inplace graph (TensorScatter): every rule again through the in-place cache, which grows as it fills.</summary>
public sealed class StandardInPlaceGeneratorTests(StandardInPlaceModelFixture model) : InPlaceGeneratorTests(model), IClassFixture<StandardInPlaceModelFixture>;

/// <summary>Graphs decoded through the in-place cache: the same tokens as the standard graph of the same weights.</summary>
public abstract class InPlaceGeneratorTests(RandomModelFixture model) : GeneratorTests(model)
{
    [Fact]
    public void Model_updates_its_cache_in_place() => Assert.True(model.Decoder.SharesPastPresent);

    // 40 new tokens: the in-place buffers grow (16 columns at a time) twice during the run.
    [Fact]
    public void In_place_cache_decodes_the_same_greedy_tokens_as_the_standard_graph()
    {
        using var standard = new StandardFixtureLike(model);
        var s = new SamplingSettings { Temperature = 0, MaxNewTokens = 40 };
        var reference = ByKey(standard.Generator().Generate(Prompts(2, Texts), s));
        var inPlace = ByKey(model.Generator().Generate(Prompts(2, Texts), s));
        AssertSame(reference, inPlace);
    }

    /// <summary>The standard export of the same weights as <paramref name="other"/>.</summary>
    sealed class StandardFixtureLike(RandomModelFixture other) : RandomModelFixture(GraphOps.Standard, other.Hidden);
}

/// <summary>The generation loop on real ONNX Runtime sessions: cache, padding, shared prefill, finishing rules.</summary>
public abstract class GeneratorTests(RandomModelFixture model)
{
    static readonly ByteTokenizer Tok = new();

    protected static List<PromptRequest> Prompts(int k, params string[] texts) =>
        texts.Select((t, i) => new PromptRequest($"p{i}", PromptFormat.EncodePrompt(Tok, t), k)).ToList();

    protected static Dictionary<(string, int), Generation> ByKey(IEnumerable<Generation> g) => g.ToDictionary(x => (x.PromptId, x.CandidateIndex));

    protected static void AssertSame(Dictionary<(string, int), Generation> a, Dictionary<(string, int), Generation> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
        {
            Assert.Equal(a[key].Tokens, b[key].Tokens);
            Assert.Equal(a[key].FinishReason, b[key].FinishReason);
            Assert.Equal(a[key].SumLogprob, b[key].SumLogprob, 3);
        }
    }

    // Prompts of different lengths, so right padding and per-row positions matter.
    protected static readonly string[] Texts = ["Q: 1+2\n", "Q: 123+4567\n", "Q: a much longer prompt here\n"];

    [Fact]
    public void Cached_greedy_decoding_matches_recomputing_the_whole_sequence()
    {
        var s = new SamplingSettings { Temperature = 0, MaxNewTokens = 24 };
        var cached = ByKey(model.Generator().Generate(Prompts(1, Texts), s));
        var uncached = ByKey(model.Generator(new GeneratorOptions { UseCache = false }).Generate(Prompts(1, Texts), s));
        AssertSame(cached, uncached);
        Assert.All(cached.Values, g => Assert.Equal("length", g.FinishReason));
        Assert.All(cached.Values, g => Assert.Equal(24, g.SampledTokens));
    }

    [Fact]
    public void Rows_finishing_at_different_steps_are_compacted_without_changing_the_others()
    {
        // A one-byte stop string ends random-model rows at scattered steps, exercising cache compaction.
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 30, StopStrings = ["a", "e", "0"], Seed = 3 };
        var cached = ByKey(model.Generator().Generate(Prompts(4, Texts), s));
        var uncached = ByKey(model.Generator(new GeneratorOptions { UseCache = false }).Generate(Prompts(4, Texts), s));
        AssertSame(cached, uncached);
        var lengths = cached.Values.Select(g => g.SampledTokens).Distinct().Count();
        Assert.True(lengths > 1, "rows should finish at different steps for this test to mean anything");
        Assert.Contains(cached.Values, g => g.FinishReason == "stop");
    }

    [Fact]
    public void Shared_prefill_gives_the_same_candidates_as_separate_prefills()
    {
        var s = new SamplingSettings { Temperature = 0.8, TopP = 0.95, MaxNewTokens = 16, Seed = 9 };
        var shared = ByKey(model.Generator(new GeneratorOptions { SharedPrefill = true }).Generate(Prompts(5, Texts), s));
        var separate = ByKey(model.Generator(new GeneratorOptions { SharedPrefill = false }).Generate(Prompts(5, Texts), s));
        AssertSame(shared, separate);
        Assert.True(shared.Values.Where(g => g.PromptId == "p1").Select(g => string.Join(",", g.Tokens)).Distinct().Count() > 1,
            "sampled candidates of one prompt should differ");
    }

    [Fact]
    public void A_prompts_candidates_do_not_depend_on_what_it_is_batched_with()
    {
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 12, Seed = 5 };
        var alone = ByKey(model.Generator().Generate(Prompts(3, Texts[1]), s));
        var together = ByKey(model.Generator(new GeneratorOptions { MaxBatchRows = 64 }).Generate(
            [new PromptRequest("x", PromptFormat.EncodePrompt(Tok, "Q: other\n"), 3), .. Prompts(3, Texts[1])], s));
        var small = ByKey(model.Generator(new GeneratorOptions { MaxBatchRows = 3 }).Generate(
            [new PromptRequest("x", PromptFormat.EncodePrompt(Tok, "Q: other\n"), 3), .. Prompts(3, Texts[1])], s));
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(alone[("p0", k)].Tokens, together[("p0", k)].Tokens);
            Assert.Equal(alone[("p0", k)].Tokens, small[("p0", k)].Tokens);
        }
    }

    [Fact]
    public void Stop_string_is_cut_from_the_text_and_max_tokens_bounds_the_length()
    {
        var greedy = new SamplingSettings { Temperature = 0, MaxNewTokens = 20 };
        var full = model.Generator().Generate(Prompts(1, Texts[0]), greedy).Single();
        Assert.Equal(20, full.SampledTokens);
        // Stop at the first byte the model produces that it had not produced before (an ASCII byte, so it is
        // a one-token string): the text keeps exactly the tokens before it.
        int j = Enumerable.Range(1, full.Tokens.Length - 1)
            .First(i => full.Tokens[i] < 128 && !full.Tokens.Take(i).Contains(full.Tokens[i]));
        var cut = model.Generator().Generate(Prompts(1, Texts[0]), greedy with { StopStrings = [Tok.Decode([full.Tokens[j]])] }).Single();
        Assert.Equal("stop", cut.FinishReason);
        Assert.Equal(full.Tokens.Take(j), cut.Tokens);
        Assert.Equal(j + 1, cut.SampledTokens);
    }

    [Fact]
    public void Prompts_longer_than_the_context_are_refused_by_id()
    {
        var longPrompt = new PromptRequest("too-long", Enumerable.Repeat(65, 200).ToArray(), 1);
        var e = Assert.Throws<ArgumentException>(() => model.Generator().Generate([longPrompt], new SamplingSettings()).ToList());
        Assert.Contains("too-long", e.Message);
    }

    [Fact]
    public void Token_logprobs_align_with_the_kept_tokens_and_add_up_to_the_sum()
    {
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 20, StopStrings = ["a", "e"], Seed = 4 };
        var gens = model.Generator().Generate(Prompts(4, Texts), s).ToList();
        Assert.All(gens, g => Assert.Equal(g.Tokens.Length, g.TokenLogprobs.Count));
        Assert.All(gens, g => Assert.All(g.TokenLogprobs, lp => Assert.True(lp <= 0)));
        // A row cut by length sampled exactly its kept tokens, so their logprobs are the whole sum.
        var byLength = gens.Where(g => g.FinishReason == "length").ToList();
        Assert.NotEmpty(byLength);
        Assert.All(byLength, g => Assert.Equal(g.SumLogprob, g.TokenLogprobs.Sum(), 6));
    }
}
