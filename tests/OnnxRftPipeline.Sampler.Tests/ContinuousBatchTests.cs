using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>
/// Continuous batching on real ONNX Runtime sessions: rows joining between steps, leaving early, and mixed settings
/// must give exactly the candidates the batch generator gives for the same prompt ids and seeds.
/// </summary>
public class ContinuousBatchTests(RandomModelFixture model) : IClassFixture<RandomModelFixture>
{
    static readonly ByteTokenizer Tok = new();

    static PromptRequest P(string id, string text, int k) => new(id, PromptFormat.EncodePrompt(Tok, text), k);

    ContinuousBatch Batch() => new(model.Decoder, Tok, contextLength: 96);

    /// <summary>What the batch generator gives for one prompt alone.</summary>
    Dictionary<int, Generation> Reference(PromptRequest p, SamplingSettings s) =>
        model.Generator().Generate([p], s).ToDictionary(g => g.CandidateIndex);

    static void AssertSame(Dictionary<int, Generation> expected, IEnumerable<Generation> actual)
    {
        var got = actual.ToDictionary(g => g.CandidateIndex);
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        foreach (var k in expected.Keys)
        {
            Assert.Equal(expected[k].Tokens, got[k].Tokens);
            Assert.Equal(expected[k].FinishReason, got[k].FinishReason);
            Assert.Equal(expected[k].SumLogprob, got[k].SumLogprob, 3);
            Assert.Equal(expected[k].TokenLogprobs.Count, got[k].TokenLogprobs.Count);
        }
    }

    static readonly SamplingSettings Sampled = new() { Temperature = 1.0, MaxNewTokens = 20, StopStrings = ["a", "e"], Seed = 3 };

    [Fact]
    public void Prompts_joining_between_steps_get_the_candidates_they_get_alone()
    {
        // Short, long and middle prompts joining at different steps: the cache is widened on the left, rows right-aligned.
        var prompts = new[] { P("p0", "Q: 1+2\n", 3), P("p1", "Q: a much longer prompt than the others here\n", 2), P("p2", "Q: 123+4567\n", 4) };
        int[] joinAt = [0, 3, 7];
        var done = new List<ContinuousBatch.Finished>();
        using var batch = Batch();
        for (int step = 0; step < 200 && (step <= joinAt[^1] || batch.ActiveRows > 0); step++)
        {
            for (int i = 0; i < prompts.Length; i++)
                if (joinAt[i] == step) done.AddRange(batch.Admit([(prompts[i].PromptId, prompts[i], Sampled)]));
            done.AddRange(batch.Step());
        }
        Assert.Equal(0, batch.ActiveRows);
        foreach (var p in prompts)
            AssertSame(Reference(p, Sampled), done.Where(f => (string)f.Tag == p.PromptId).Select(f => f.Generation));
        Assert.True(done.Select(f => f.Generation.SampledTokens).Distinct().Count() > 1, "rows should finish at different steps");
    }

    [Fact]
    public void Rows_keep_their_own_sampling_settings()
    {
        var greedy = new SamplingSettings { Temperature = 0, MaxNewTokens = 16 };
        var nucleus = new SamplingSettings { Temperature = 0.9, TopP = 0.8, TopK = 20, MaxNewTokens = 12, Seed = 77 };
        var a = P("a", "Q: 5+5\n", 1);
        var b = P("b", "Q: 10+20\n", 3);
        var done = new List<ContinuousBatch.Finished>();
        using var batch = Batch();
        done.AddRange(batch.Admit([("a", a, greedy), ("b", b, nucleus)]));
        for (int i = 0; i < 100 && batch.ActiveRows > 0; i++) done.AddRange(batch.Step());
        AssertSame(Reference(a, greedy), done.Where(f => (string)f.Tag == "a").Select(f => f.Generation));
        AssertSame(Reference(b, nucleus), done.Where(f => (string)f.Tag == "b").Select(f => f.Generation));
    }

    [Fact]
    public void Removing_a_request_drops_its_rows_and_leaves_the_others_unchanged()
    {
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 30, Seed = 8 };
        var gone = P("gone", "Q: going away soon\n", 4);
        var stays = P("stays", "Q: 7\n", 2);
        var done = new List<ContinuousBatch.Finished>();
        using var batch = Batch();
        done.AddRange(batch.Admit([("gone", gone, s), ("stays", stays, s)]));
        done.AddRange(batch.Step());
        done.AddRange(batch.Step());
        int liveOfGone = 4 - done.Count(f => (string)f.Tag == "gone");
        Assert.Equal(liveOfGone, batch.Remove("gone"));
        Assert.Equal(0, batch.Remove("gone"));
        for (int i = 0; i < 100 && batch.ActiveRows > 0; i++) done.AddRange(batch.Step());
        AssertSame(Reference(stays, s), done.Where(f => (string)f.Tag == "stays").Select(f => f.Generation));
    }

    [Fact]
    public void The_cache_is_trimmed_as_rows_leave_so_a_steady_stream_does_not_grow_it()
    {
        // Rows leave (eos, stop, length) and join at scattered steps, often both at once: one rebuild serves both.
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 10, StopStrings = ["e"], Seed = 2 };
        // Cache buffers are rented from the shared pool: poison it, so a masked column left uninitialised would show.
        for (int bits = 4; bits <= 20; bits++)
        {
            var poisoned = System.Buffers.ArrayPool<float>.Shared.Rent(1 << bits);
            Array.Fill(poisoned, float.NaN);
            System.Buffers.ArrayPool<float>.Shared.Return(poisoned);
        }
        using var batch = Batch();
        var prompts = new List<PromptRequest>();
        var done = new List<ContinuousBatch.Finished>();
        int longestPrompt = 0, widest = 0;
        for (int step = 0; step < 300; step++)
        {
            if (step % 3 == 0)
            {
                var p = P($"s{step}", $"Q: {step}+{step % 17}\n", 2);
                prompts.Add(p);
                longestPrompt = Math.Max(longestPrompt, p.Tokens.Length);
                done.AddRange(batch.Admit([(p.PromptId, p, s)]));
            }
            done.AddRange(batch.Step());
            widest = Math.Max(widest, batch.CacheLength);
        }
        for (int i = 0; i < 100 && batch.ActiveRows > 0; i++) done.AddRange(batch.Step());
        Assert.Equal(prompts.Count * 2, done.Count);
        foreach (var p in prompts)
            AssertSame(Reference(p, s), done.Where(f => (string)f.Tag == p.PromptId).Select(f => f.Generation));
        // A row lives at most MaxNewTokens steps, so the cache never needs more than a prompt plus that.
        Assert.InRange(widest, 1, longestPrompt + s.MaxNewTokens + 1);
        Assert.Equal(0, batch.CacheLength);
    }

    [Fact]
    public void A_prompt_beyond_the_context_is_refused_before_anything_changes()
    {
        using var batch = Batch();
        var ok = P("ok", "Q: 1\n", 1);
        var tooLong = new PromptRequest("too-long", Enumerable.Repeat(65, 200).ToArray(), 1);
        var e = Assert.Throws<ArgumentException>(() => batch.Admit([("ok", ok, Sampled), ("too-long", tooLong, Sampled)]));
        Assert.Contains("too-long", e.Message);
        Assert.Equal(0, batch.ActiveRows);
    }
}

/// <summary>An in-place cache export cannot be batched continuously; the batch says so instead of decoding garbage.</summary>
public class ContinuousBatchInPlaceTests(ContribModelFixture model) : IClassFixture<ContribModelFixture>
{
    [Fact]
    public void A_decoder_that_shares_its_past_and_present_buffer_is_refused()
    {
        Assert.True(model.Decoder.SharesPastPresent);
        var e = Assert.Throws<NotSupportedException>(() => new ContinuousBatch(model.Decoder, model.Tokenizer, contextLength: 96));
        Assert.Contains("--ops Standard", e.Message);
    }
}
