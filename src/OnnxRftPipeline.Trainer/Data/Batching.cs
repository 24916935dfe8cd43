using OnnxRftPipeline.Contracts.Text;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Data;

/// <summary>An example as tokens: [bos] prompt response [eos]; loss targets start at ResponseStart.</summary>
public sealed record TokenizedExample(int Index, string Id, int[] Ids, int ResponseStart, double Weight)
{
    public int ResponseTokens => Ids.Length - ResponseStart;
}

/// <summary>A right-padded batch: ids, next-token targets, a 0/1 loss mask and per-row weights.</summary>
public sealed class Batch : IDisposable
{
    public required Tensor Inputs { get; init; }   // [B,T] int64
    public required Tensor Targets { get; init; }  // [B,T] int64: ids shifted left (pad where none)
    public required Tensor LossMask { get; init; } // [B,T] float32: 1 where the target is a response token
    public required Tensor RowWeight { get; init; } // [B] float32
    public required int[] Rows { get; init; }       // example indices
    public long ResponseTokens { get; init; }
    public long Tokens { get; init; }
    public void Dispose() { Inputs.Dispose(); Targets.Dispose(); LossMask.Dispose(); RowWeight.Dispose(); }
}

/// <summary>Tokenisation, length-bucketed batch order and padded batch tensors.</summary>
public static class Batching
{
    public static List<TokenizedExample> Tokenize(IReadOnlyList<TrainExample> examples, ITokenizer tok, int maxLength, string source)
    {
        var list = new List<TokenizedExample>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            var (ids, start) = PromptFormat.EncodeExample(tok, e.Prompt, e.Response);
            if (ids.Length > maxLength)
                throw new InvalidDataException($"{source}: example '{e.Id}' is {ids.Length} tokens, longer than the model context {maxLength}.");
            list.Add(new TokenizedExample(i, e.Id, ids, start, e.Weight));
        }
        return list;
    }

    /// <summary>
    /// Batches of one epoch, a pure function of (seed, epoch) so a resumed run sees the same order.
    /// Shuffle, cut into pools of 32 batches, sort each pool by length (little padding), cut into
    /// batches, shuffle the batches. The batch count is the same every epoch.
    /// </summary>
    public static List<int[]> EpochBatches(IReadOnlyList<TokenizedExample> data, int batchSize, int seed, int epoch) =>
        EpochBatches(data.Select(e => e.Ids.Length).ToArray(), batchSize, seed, epoch);

    /// <summary>The same order over items known only by their lengths (SPIN batches pairs, not sequences).</summary>
    public static List<int[]> EpochBatches(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch)
    {
        // Not HashCode.Combine: it is randomised per process. Seeded System.Random is stable across runs.
        var rng = new Random(unchecked(seed * 1_000_003 + epoch * 7_919 + 12_345));
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        rng.Shuffle(order);
        int pool = batchSize * 32;
        var batches = new List<int[]>();
        for (int p = 0; p < order.Length; p += pool)
        {
            var chunk = order.Skip(p).Take(pool).OrderBy(i => lengths[i]).ThenBy(i => i).ToArray();
            for (int b = 0; b < chunk.Length; b += batchSize) batches.Add(chunk.Skip(b).Take(batchSize).ToArray());
        }
        var shuffled = batches.ToArray();
        rng.Shuffle(shuffled);
        return shuffled.ToList();
    }

    /// <summary>Batches sorted by length, for no-grad evaluation passes (order does not matter there).</summary>
    public static List<int[]> LengthSortedBatches(IReadOnlyList<TokenizedExample> data, int batchSize)
    {
        var order = Enumerable.Range(0, data.Count).OrderBy(i => data[i].Ids.Length).ToArray();
        return order.Chunk(batchSize).ToList();
    }

    public static Batch Build(IReadOnlyList<TokenizedExample> data, int[] rows, int padId)
    {
        int b = rows.Length;
        int t = rows.Max(r => data[r].Ids.Length);
        var inputs = new long[b * t];
        var targets = new long[b * t];
        var mask = new float[b * t];
        var weights = new float[b];
        long resp = 0, tokens = 0;
        for (int r = 0; r < b; r++)
        {
            var ex = data[rows[r]];
            weights[r] = (float)ex.Weight;
            for (int j = 0; j < t; j++)
            {
                inputs[r * t + j] = j < ex.Ids.Length ? ex.Ids[j] : padId;
                targets[r * t + j] = j + 1 < ex.Ids.Length ? ex.Ids[j + 1] : padId;
                // Position j predicts token j+1; it is a loss target when j+1 is in response+eos.
                if (j + 1 >= ex.ResponseStart && j + 1 < ex.Ids.Length) { mask[r * t + j] = 1f; resp++; }
            }
            tokens += ex.Ids.Length;
        }
        return new Batch
        {
            Inputs = tensor(inputs, new long[] { b, t }),
            Targets = tensor(targets, new long[] { b, t }),
            LossMask = tensor(mask, new long[] { b, t }),
            RowWeight = tensor(weights),
            Rows = rows,
            ResponseTokens = resp,
            Tokens = tokens,
        };
    }
}
