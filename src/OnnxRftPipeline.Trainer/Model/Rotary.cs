using OnnxRftPipeline.Contracts.Models;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>
/// Rotary positions in Hugging Face's rotate_half layout: the inverse frequencies of the checkpoint's rope settings
/// (<see cref="RopeScaling"/>, shared with the exporter), the angle table duplicated over both halves,
/// x·cos + rotate_half(x)·sin. The exporter builds its tables from the same function, so the two agree.
/// A plain class, not a module: the cos/sin tables are derived, never part of a checkpoint.
/// </summary>
public sealed class Rotary : IDisposable
{
    readonly Tensor cos, sin; // [max_positions, head_dim]
    readonly int headDim;

    public Rotary(int headDim, int maxPositions, RopeScaling rope)
    {
        this.headDim = headDim;
        var (c, s) = rope.Tables(headDim, maxPositions);
        cos = tensor(c, [maxPositions, headDim]);
        sin = tensor(s, [maxPositions, headDim]);
    }

    public int MaxPositions => (int)cos.shape[0];

    /// <summary>x: [B, heads, T, D] at positions 0..T-1 (right padding: position = column index).</summary>
    public Tensor Apply(Tensor x)
    {
        long t = x.shape[2];
        if (t > cos.shape[0]) throw new ArgumentException($"sequence length {t} exceeds max_position_embeddings {cos.shape[0]}");
        using var scope = NewDisposeScope();
        var c = cos.narrow(0, 0, t).to(x.device);
        var s = sin.narrow(0, 0, t).to(x.device);
        var half = headDim / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat(new[] { -x2, x1 }, -1);
        return (x * c + rotated * s).MoveToOuterDisposeScope();
    }

    public void Dispose() { cos.Dispose(); sin.Dispose(); }
}
