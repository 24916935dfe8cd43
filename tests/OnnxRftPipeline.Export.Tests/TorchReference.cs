using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// The Trainer's own TorchSharp LlamaForCausalLM loaded from the checkpoint the ONNX model was exported from:
/// the parity the issue asks for (what was trained is what is sampled). Rows are run as one right-padded batch,
/// as the trainer runs them; each row's logits are read at its real positions only.
/// </summary>
public sealed class TorchReference : IDisposable
{
    readonly LlamaForCausalLM _model;
    readonly int _pad;

    public TorchReference(string checkpointDir)
    {
        var (model, tok) = Checkpoint.Load(checkpointDir);
        _model = model;
        _model.eval();
        _pad = tok.PadId;
    }

    /// <summary>Logits [row][position][vocab] for every real position of every row.</summary>
    public float[][][] Forward(IReadOnlyList<IReadOnlyList<long>> rows)
    {
        int b = rows.Count, t = rows.Max(r => r.Count);
        var ids = new long[b * t];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < t; j++) ids[r * t + j] = j < rows[r].Count ? rows[r][j] : _pad;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logits = _model.forward(tensor(ids, new long[] { b, t }));
        int v = (int)logits.shape[2];
        var flat = logits.contiguous().data<float>().ToArray();
        return rows.Select((row, r) => Enumerable.Range(0, row.Count).Select(j => flat.AsSpan((r * t + j) * v, v).ToArray()).ToArray()).ToArray();
    }

    public void Dispose() => _model.Dispose();
}
