using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Tests;

public class ModelTests
{
    static Tensor RandomIds(long b, long t, int vocab, int seed)
    {
        var rng = new Random(seed);
        return tensor(Enumerable.Range(0, (int)(b * t)).Select(_ => (long)rng.Next(vocab)).ToArray(), new[] { b, t });
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 4)]
    public void Forward_gives_batch_by_time_by_vocab_logits(bool tied, int kvHeads)
    {
        manual_seed(1);
        var c = TestData.Tiny(tied, kvHeads);
        using var model = new LlamaForCausalLM(c);
        using var ids = RandomIds(3, 11, c.VocabSize, 1);
        using var logits = model.forward(ids);
        Assert.Equal(new long[] { 3, 11, c.VocabSize }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Parameter_names_are_hugging_face_names()
    {
        var c = TestData.Tiny(tied: false);
        using var model = new LlamaForCausalLM(c);
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        var expected = new List<string> { LlamaConfig.Names.Embed, LlamaConfig.Names.FinalNorm, LlamaConfig.Names.LmHead };
        for (int l = 0; l < c.NumHiddenLayers; l++)
            expected.AddRange([LlamaConfig.Names.InputNorm(l), LlamaConfig.Names.PostAttnNorm(l), LlamaConfig.Names.Q(l), LlamaConfig.Names.K(l),
                LlamaConfig.Names.V(l), LlamaConfig.Names.O(l), LlamaConfig.Names.Gate(l), LlamaConfig.Names.Up(l), LlamaConfig.Names.Down(l)]);
        Assert.Equal(expected.OrderBy(x => x), names.OrderBy(x => x));
        var k = model.named_parameters().First(p => p.name == LlamaConfig.Names.K(0)).parameter;
        Assert.Equal(new long[] { c.NumKeyValueHeads * c.HeadDim, c.HiddenSize }, k.shape); // HF [out, in]
    }

    [Fact]
    public void Tied_model_has_no_lm_head()
    {
        using var model = new LlamaForCausalLM(TestData.Tiny(tied: true));
        Assert.DoesNotContain(model.named_parameters(), p => p.name == LlamaConfig.Names.LmHead);
    }

    [Fact]
    public void Changing_a_future_token_does_not_change_earlier_logits()
    {
        manual_seed(2);
        var c = TestData.Tiny();
        using var model = new LlamaForCausalLM(c);
        using var _ = no_grad();
        using var ids = RandomIds(1, 12, 256, 2);
        using var changed = ids.clone();
        changed[0, 8] = tensor((ids[0, 8].item<long>() + 1) % 256);
        using var a = model.forward(ids);
        using var b = model.forward(changed);
        Assert.True(a.narrow(1, 0, 8).allclose(b.narrow(1, 0, 8), rtol: 0, atol: 1e-6));
        Assert.False(a.narrow(1, 8, 4).allclose(b.narrow(1, 8, 4), rtol: 0, atol: 1e-4)); // and the change is seen later
    }

    [Fact]
    public void A_rows_logits_are_the_same_alone_and_in_a_right_padded_batch()
    {
        manual_seed(3);
        var c = TestData.Tiny();
        using var model = new LlamaForCausalLM(c);
        using var _ = no_grad();
        using var shortRow = RandomIds(1, 5, 256, 3);
        using var longRow = RandomIds(1, 9, 256, 4);
        using var padded = cat(new[] { shortRow, full(new long[] { 1, 4 }, (long)c.PadTokenId, dtype: ScalarType.Int64) }, 1);
        using var batch = cat(new[] { padded, longRow }, 0);
        using var alone = model.forward(shortRow);
        using var inBatch = model.forward(batch);
        Assert.True(alone[0].allclose(inBatch[0].narrow(0, 0, 5), rtol: 1e-5, atol: 1e-5));
        using var longAlone = model.forward(longRow);
        Assert.True(longAlone[0].allclose(inBatch[1], rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Rotary_position_zero_is_identity_and_rotation_keeps_norm()
    {
        using var rot = new Rotary(8, 16, new OnnxRftPipeline.Contracts.Models.RopeScaling("default", 10000, 1, 1, 1, 0));
        manual_seed(4);
        using var x = randn(1, 2, 6, 8);
        using var y = rot.Apply(x);
        Assert.True(y.narrow(2, 0, 1).allclose(x.narrow(2, 0, 1), atol: 1e-6));
        Assert.True(y.pow(2).sum(-1).allclose(x.pow(2).sum(-1), rtol: 1e-5, atol: 1e-5));
        // HF rotate_half at position 1, first pair (i=0, inv_freq=1): y0 = x0·cos1 − x4·sin1.
        float x0 = x[0, 0, 1, 0].item<float>(), x4 = x[0, 0, 1, 4].item<float>();
        Assert.Equal(x0 * Math.Cos(1) - x4 * Math.Sin(1), y[0, 0, 1, 0].item<float>(), 5);
    }

    [Fact]
    public void Presets_are_valid_and_ordered_by_size()
    {
        var sizes = Presets.Names.Select(n => { using var m = new LlamaForCausalLM(Presets.Get(n)); return m.ParameterCount(); }).ToArray();
        Assert.True(sizes[0] < 200_000, $"tiny has {sizes[0]} parameters");
        Assert.InRange(sizes[1], 2_000_000, 5_000_000);
        Assert.True(sizes[2] > sizes[1]);
        Assert.Throws<ArgumentException>(() => Presets.Get("huge"));
    }
}
