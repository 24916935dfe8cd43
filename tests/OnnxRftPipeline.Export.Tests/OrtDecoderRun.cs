using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// Runs an exported decoder step by step with an ORT session, carrying the KV cache: by default as a growing past (each
/// step's present fed back as the next past, the first past of length 0); with <c>sharedCapacity</c> as GenAI's
/// past_present_share_buffer protocol, one [B, kvH, capacity, D] buffer per layer key/value bound as both past and present
/// on every step, the first included.
/// </summary>
public sealed class OrtDecoderRun : IDisposable
{
    /// <summary>A right-padded prefill batch of token rows: pads get the pad id, mask 0 and <paramref name="padPosition"/>.</summary>
    public static (long[] Ids, long[] Pos, long[] Mask) RightPadded(IReadOnlyList<List<long>> rows, long padPosition)
    {
        int B = rows.Count, S = rows.Max(r => r.Count);
        var ids = new long[B * S]; var pos = new long[B * S]; var mask = new long[B * S];
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++)
            {
                bool real = s < rows[b].Count;
                ids[b * S + s] = real ? rows[b][s] : ByteTokenizer.Pad;
                pos[b * S + s] = real ? s : padPosition;
                mask[b * S + s] = real ? 1 : 0;
            }
        return (ids, pos, mask);
    }

    readonly InferenceSession _session;
    readonly GenAiDecoder _dec;
    readonly int _batch;
    OrtValue[] _past;
    readonly List<long[]> _maskCols = new();
    readonly OrtIoBinding? _binding;

    public int Layers => _dec.NumHiddenLayers;
    public int TotalLength => _maskCols.Count;
    /// <summary>Shapes of the last step's present outputs, keys then values per layer.</summary>
    public List<long[]> PresentShapes { get; } = new();

    public OrtDecoderRun(ModelFolder folder, int batch, SessionOptions? options = null, int? sharedCapacity = null)
    {
        _session = options is null ? new InferenceSession(folder.ModelPath) : new InferenceSession(folder.ModelPath, options);
        _dec = folder.Decoder;
        _batch = batch;
        _past = new OrtValue[2 * Layers];
        int capacity = sharedCapacity ?? 0;
        for (int i = 0; i < _past.Length; i++)
            _past[i] = OrtValue.CreateTensorValueFromMemory(new float[batch * _dec.NumKeyValueHeads * capacity * _dec.HeadSize],
                [batch, _dec.NumKeyValueHeads, capacity, _dec.HeadSize]);
        if (sharedCapacity is not null) _binding = _session.CreateIoBinding();
    }

    /// <summary>One step: ids/positions [B,S], mask columns appended for the new tokens. Returns logits [B,S,V] flat.</summary>
    public float[] Step(long[] ids, long[] positions, long[] newMask, int seqLen)
    {
        for (int s = 0; s < seqLen; s++)
            _maskCols.Add(Enumerable.Range(0, _batch).Select(b => newMask[b * seqLen + s]).ToArray());
        int T = _maskCols.Count;
        var mask = new long[_batch * T];
        for (int b = 0; b < _batch; b++) for (int t = 0; t < T; t++) mask[b * T + t] = _maskCols[t][b];

        var names = new List<string> { _dec.Inputs.InputIds, _dec.Inputs.AttentionMask, _dec.Inputs.PositionIds };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(ids, [_batch, seqLen]),
            OrtValue.CreateTensorValueFromMemory(mask, [_batch, T]),
            OrtValue.CreateTensorValueFromMemory(positions, [_batch, seqLen]),
        };
        var outNames = new List<string> { _dec.Outputs.Logits };
        for (int l = 0; l < Layers; l++)
        {
            names.Add(_dec.PastKeyName(l)); values.Add(_past[2 * l]);
            names.Add(_dec.PastValueName(l)); values.Add(_past[2 * l + 1]);
            outNames.Add(_dec.PresentKeyName(l)); outNames.Add(_dec.PresentValueName(l));
        }
        using var runOptions = new RunOptions();
        if (_binding is not null) return StepShared(names, values, outNames, runOptions);
        var results = _session.Run(runOptions, names, values, outNames);
        for (int i = 0; i < 3; i++) values[i].Dispose();
        foreach (var p in _past) p.Dispose();
        var logits = results[0].GetTensorDataAsSpan<float>().ToArray();
        PresentShapes.Clear();
        for (int i = 0; i < 2 * Layers; i++)
        {
            _past[i] = results[1 + i];
            PresentShapes.Add(results[1 + i].GetTensorTypeAndShape().Shape);
        }
        results[0].Dispose();
        return logits;
    }

    float[] StepShared(List<string> names, List<OrtValue> values, List<string> outNames, RunOptions runOptions)
    {
        var b = _binding!;
        b.ClearBoundInputs();
        b.ClearBoundOutputs();
        for (int i = 0; i < names.Count; i++) b.BindInput(names[i], values[i]);
        b.BindOutputToDevice(outNames[0], OrtMemoryInfo.DefaultInstance);   // first, so it is GetOutputValues()[0]
        for (int i = 0; i < 2 * Layers; i++) b.BindOutput(outNames[1 + i], _past[i]);
        _session.RunWithBinding(runOptions, b);
        for (int i = 0; i < 3; i++) values[i].Dispose();
        using var outputs = b.GetOutputValues();
        PresentShapes.Clear();
        for (int i = 0; i < 2 * Layers; i++) PresentShapes.Add(_past[i].GetTensorTypeAndShape().Shape);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var p in _past) p?.Dispose();
        _session.Dispose();
    }
}
