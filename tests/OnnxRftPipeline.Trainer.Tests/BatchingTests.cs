using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Data;

namespace OnnxRftPipeline.Trainer.Tests;

public class BatchingTests
{
    [Fact]
    public void Loss_mask_covers_response_and_eos_only()
    {
        var tok = new ByteTokenizer();
        var data = Batching.Tokenize([new TrainExample("a", "1+2=", "3"), new TrainExample("b", "10+20=", "30")], tok, 64, "test");
        using var batch = Batching.Build(data, [0, 1], tok.PadId);
        // Row 0: [bos 1 + 2 = 3 eos pad pad] → targets at positions 4 ('3') and 5 (eos).
        var mask = batch.LossMask[0].data<float>().ToArray();
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0 }, mask);
        var targets = batch.Targets[0].data<long>().ToArray();
        Assert.Equal((long)'3', targets[4]);
        Assert.Equal((long)tok.EosId, targets[5]);
        Assert.Equal(2 + 3, batch.ResponseTokens);
        Assert.Equal((long)tok.PadId, batch.Inputs[0, 8].item<long>());
    }

    [Fact]
    public void Epoch_order_is_a_function_of_seed_and_epoch_and_covers_every_example_once()
    {
        var data = Batching.Tokenize(TestData.Addition().Concat(
            Enumerable.Range(0, 50).Select(i => new TrainExample($"long-{i}", new string('x', i), "y"))).ToList(), new ByteTokenizer(), 128, "t");
        var a = Batching.EpochBatches(data, 16, seed: 5, epoch: 2);
        var b = Batching.EpochBatches(data, 16, seed: 5, epoch: 2);
        var c = Batching.EpochBatches(data, 16, seed: 5, epoch: 3);
        Assert.Equal(a.SelectMany(x => x), b.SelectMany(x => x));
        Assert.NotEqual(a.SelectMany(x => x), c.SelectMany(x => x));
        Assert.Equal(Enumerable.Range(0, data.Count), a.SelectMany(x => x).OrderBy(x => x));
        Assert.Equal(a.Count, c.Count);
    }

    [Fact]
    public void Too_long_example_is_named_in_the_error()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            Batching.Tokenize([new TrainExample("too-long", new string('x', 100), "y")], new ByteTokenizer(), 32, "train.parquet"));
        Assert.Contains("too-long", e.Message);
        Assert.Contains("train.parquet", e.Message);
    }

    [Fact]
    public void Duplicate_ids_and_negative_weights_are_rejected_with_the_row()
    {
        var dup = Assert.ThrowsAny<Exception>(() => TrainData.Validate([new("x", "p", "r"), new("x", "p", "r")], "d"));
        Assert.Contains("row 1", dup.Message);
        var neg = Assert.ThrowsAny<Exception>(() => TrainData.Validate([new("x", "p", "r", -1)], "d"));
        Assert.Contains("weight", neg.Message);
    }
}
