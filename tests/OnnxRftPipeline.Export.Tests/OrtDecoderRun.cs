using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>Runs an exported decoder step by step with an ORT session, carrying the KV cache.</summary>
public sealed class OrtDecoderRun : IDisposable
{
    readonly InferenceSession _session;
    readonly GenAiDecoder _dec;
    readonly int _batch;
    OrtValue[] _past;
    readonly List<long[]> _maskCols = new();

    public int Layers => _dec.NumHiddenLayers;
    public int TotalLength => _maskCols.Count;
    /// <summary>Shapes of the last step's present outputs, keys then values per layer.</summary>
    public List<long[]> PresentShapes { get; } = new();

    public OrtDecoderRun(ModelFolder folder, int batch, SessionOptions? options = null)
    {
        _session = options is null ? new InferenceSession(folder.ModelPath) : new InferenceSession(folder.ModelPath, options);
        _dec = folder.Decoder;
        _batch = batch;
        _past = new OrtValue[2 * Layers];
        for (int i = 0; i < _past.Length; i++)
            _past[i] = OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [batch, _dec.NumKeyValueHeads, 0, _dec.HeadSize]);
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

    public void Dispose()
    {
        foreach (var p in _past) p?.Dispose();
        _session.Dispose();
    }
}
