using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>
/// The one set of finishing rules (eos, stop string cut, max new tokens, context) seen through both drivers of the core:
/// the offline <see cref="Generator"/> and the service's <see cref="ContinuousBatch"/> finish every candidate the same way.
/// </summary>
public class FinishingRulesTests(RandomModelFixture model) : IClassFixture<RandomModelFixture>
{
    /// <summary>The byte tokenizer with a few common bytes made eos, so a random model ends rows on eos often enough to test.</summary>
    sealed class ManyEos(IReadOnlySet<int> stops) : ITokenizer
    {
        readonly ByteTokenizer _b = new();
        public int VocabSize => _b.VocabSize;
        public int BosId => _b.BosId;
        public int EosId => _b.EosId;
        public int PadId => _b.PadId;
        public IReadOnlySet<int> StopIds { get; } = stops;
        public int[] Encode(string text) => _b.Encode(text);
        public int[] EncodeModelInput(string text) => _b.EncodeModelInput(text);
        public string Decode(ReadOnlySpan<int> ids) => _b.Decode(ids);
    }

    /// <summary>Each candidate through both drivers: the generator's, then the continuous batch's for the same prompts.</summary>
    (List<Generation> Offline, List<Generation> Continuous) Both(ITokenizer tok, int context, SamplingSettings s, params PromptRequest[] prompts)
    {
        var offline = new Generator(model.Decoder, tok, new GeneratorOptions { ContextLength = context }).Generate(prompts, s).ToList();
        var continuous = new List<Generation>();
        using var batch = new ContinuousBatch(model.Decoder, tok, context);
        continuous.AddRange(batch.Admit(prompts.Select(p => ((object)p.PromptId, p, s)).ToList()).Select(f => f.Generation));
        for (int i = 0; i < 500 && batch.ActiveRows > 0; i++) continuous.AddRange(batch.Step().Select(f => f.Generation));
        Assert.Equal(0, batch.ActiveRows);
        var order = (Generation g) => (g.PromptId, g.CandidateIndex);
        return (offline.OrderBy(order).ToList(), continuous.OrderBy(order).ToList());
    }

    static void AssertSame(List<Generation> a, List<Generation> b)
    {
        Assert.Equal(a.Count, b.Count);
        foreach (var (x, y) in a.Zip(b))
        {
            Assert.Equal((x.PromptId, x.CandidateIndex), (y.PromptId, y.CandidateIndex));
            Assert.Equal(x.Tokens, y.Tokens);
            Assert.Equal(x.SampledTokens, y.SampledTokens);
            Assert.Equal(x.FinishReason, y.FinishReason);
            Assert.Equal(x.TokenLogprobs.Count, y.TokenLogprobs.Count);
        }
    }

    static PromptRequest P(ITokenizer tok, string id, string text, int k) => new(id, PromptFormat.EncodePrompt(tok, text), k);

    [Fact]
    public void Eos_ends_a_row_without_entering_its_text_in_both_drivers()
    {
        // Every byte below 100 is eos: most rows of a random model hit one within a few tokens.
        var tok = new ManyEos(Enumerable.Range(0, 100).ToHashSet());
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 30, Seed = 5 };
        var (offline, continuous) = Both(tok, 96, s, P(tok, "a", "Q: 1+1\n", 4), P(tok, "b", "Q: a longer prompt\n", 4));
        AssertSame(offline, continuous);
        Assert.Contains(offline, g => g.FinishReason == "eos");
        Assert.All(offline.Where(g => g.FinishReason == "eos"), g =>
        {
            Assert.Equal(g.Tokens.Length + 1, g.SampledTokens);   // eos was drawn and counted, not kept
            Assert.DoesNotContain(g.Tokens, t => t < 100);
        });
    }

    [Fact]
    public void A_stop_string_is_cut_from_the_text_in_both_drivers()
    {
        var tok = model.Tokenizer;
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 40, StopStrings = ["a", "e", "o"], Seed = 11 };
        var (offline, continuous) = Both(tok, 96, s, P(tok, "a", "Q: 12+3\n", 6), P(tok, "b", "Q: seven\n", 6));
        AssertSame(offline, continuous);
        Assert.Contains(offline, g => g.FinishReason == "stop");
        Assert.All(offline.Where(g => g.FinishReason == "stop"), g =>
        {
            var text = tok.Decode(g.Tokens);
            Assert.DoesNotContain("a", text);
            Assert.DoesNotContain("e", text);
            Assert.DoesNotContain("o", text);
            Assert.Equal(g.SampledTokens - 1, g.Tokens.Length);     // the one-byte stop string was drawn, then cut
        });
    }

    [Fact]
    public void Max_new_tokens_and_the_context_end_rows_with_length_in_both_drivers()
    {
        var tok = model.Tokenizer;
        var shortPrompt = P(tok, "short", "Q: 1\n", 3);
        var longPrompt = P(tok, "long", "Q: " + new string('9', 20) + "\n", 3);
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 7, Seed = 2 };
        // Context 30: the short prompt stops at 7 new tokens, the long one when prompt + sampled reaches 30.
        var (offline, continuous) = Both(tok, 30, s, shortPrompt, longPrompt);
        AssertSame(offline, continuous);
        Assert.All(offline.Where(g => g.PromptId == "short" && g.FinishReason == "length"), g => Assert.Equal(7, g.SampledTokens));
        Assert.All(offline.Where(g => g.PromptId == "long" && g.FinishReason == "length"),
            g => Assert.Equal(Math.Min(7, 30 - longPrompt.Tokens.Length), g.SampledTokens));
        Assert.Contains(offline, g => g.PromptId == "long" && g.FinishReason == "length" && g.SampledTokens == 30 - longPrompt.Tokens.Length);
    }
}
