using Microsoft.ML.OnnxRuntime;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// GenAI's batch layout and the prefill pass both drivers share: right padding with the pad id, mask 0 on pads,
/// position = column of a real token; one forward pass with no cache over every unit (a prompt, or a prompt plus
/// its generated tokens on the no-cache path).
/// </summary>
static class Prefill
{
    public static (long[] Ids, long[] Mask, long[] Positions, int Width) RightPadded(IReadOnlyList<int[]> seqs, int padId)
    {
        int width = seqs.Max(x => x.Length);
        var ids = new long[seqs.Count * width];
        var mask = new long[seqs.Count * width];
        var pos = new long[seqs.Count * width];
        for (int i = 0; i < seqs.Count; i++)
            for (int c = 0; c < width; c++)
            {
                bool real = c < seqs[i].Length;
                ids[i * width + c] = real ? seqs[i][c] : padId;
                mask[i * width + c] = real ? 1 : 0;
                pos[i * width + c] = real ? c : 0;
            }
        return (ids, mask, pos, width);
    }

    /// <summary>
    /// Runs the units right-padded. The result's element 0 is logits [units, width, V] (unit u's next-token logits are at
    /// column <c>units[u].Length - 1</c>), then each layer's present key and value [units, kvH, width, D]; the caller disposes it.
    /// </summary>
    public static IDisposableReadOnlyCollection<OrtValue> Run(OnnxDecoder decoder, IReadOnlyList<int[]> units, int padId, out int width)
    {
        (var ids, var mask, var pos, width) = RightPadded(units, padId);
        using var idsV = OrtValue.CreateTensorValueFromMemory(ids, [units.Count, width]);
        using var maskV = OrtValue.CreateTensorValueFromMemory(mask, [units.Count, width]);
        using var posV = OrtValue.CreateTensorValueFromMemory(pos, [units.Count, width]);
        return decoder.RunWithoutPast(idsV, maskV, posV);
    }

    /// <summary>Unit <paramref name="u"/>'s next-token logits: the row at its last real column.</summary>
    public static ReadOnlySpan<float> LastLogits(ReadOnlySpan<float> logits, int u, int width, int length, int vocab)
        => logits.Slice((u * width + length - 1) * vocab, vocab);
}
