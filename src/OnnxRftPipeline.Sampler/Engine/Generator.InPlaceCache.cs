using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// The decode loop for graphs that update their cache in place (<see cref="OnnxDecoder.SharesPastPresent"/>): one
/// [rows, kvH, maxLen, D] buffer per layer key/value, allocated once per group and bound through IOBinding as both
/// past and present, and logits written into a reused array. A step then allocates no tensors and copies no cache;
/// finished rows are compacted to the front of the same buffers.
/// </summary>
public sealed partial class Generator
{
    float[][]? _cachePool;

    void RunCachedInPlace(List<PromptRequest> group, List<Row> rows, SamplingSettings s, int[][] stops, CancellationToken ct, Action<int>? onTokens)
    {
        int kvH = decoder.KvHeads, d = decoder.HeadDim, v = decoder.VocabSize, n = rows.Count;
        int[] unitOfRow;
        int width;
        List<int> active;
        float[][] cache;
        int maxLen, slab;
        // Prefill through the ordinary path (present [units, kvH, width, D]), then copy each active row's prompt
        // cache into its slot of the max-length buffers: the shared-prefill fan-out.
        using (var outputs = Prefill(group, rows, s, stops, onTokens, out unitOfRow, out width, out active))
        {
            // Decode steps write columns width .. width + MaxNewTokens - 2 at most; the kernel keeps each row's keys contiguous.
            maxLen = width + s.MaxNewTokens;
            slab = kvH * maxLen * d;
            cache = CacheBuffers(2 * decoder.Layers, n * slab);
            for (int j = 0; j < cache.Length; j++)
            {
                var src = outputs[1 + j].GetTensorDataAsSpan<float>();
                for (int i = 0; i < active.Count; i++)
                    for (int h = 0; h < kvH; h++)
                        src.Slice(((unitOfRow[active[i]] * kvH) + h) * width * d, width * d)
                           .CopyTo(cache[j].AsSpan((i * kvH + h) * maxLen * d, width * d));
            }
        }
        if (active.Count == 0) return;

        var idBuf = new long[n];
        var posBuf = new long[n];
        var maskBuf = new long[n * maxLen];
        var logitBuf = new float[n * v];
        var views = Views(cache, active.Count, kvH, maxLen, d);
        int t = width;
        try
        {
            while (active.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                int a = active.Count;
                FillStepInputs(rows, active, t, width, idBuf, posBuf, maskBuf);
                using (var idsV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, idBuf.AsMemory(0, a), [a, 1]))
                using (var maskV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, maskBuf.AsMemory(0, a * (t + 1)), [a, t + 1]))
                using (var posV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, posBuf.AsMemory(0, a), [a, 1]))
                using (var logitsV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, logitBuf.AsMemory(0, a * v), [a, 1, v]))
                    decoder.RunInPlace(idsV, maskV, posV, views, logitsV);
                t++;
                int kept = 0;
                for (int i = 0; i < a; i++)
                {
                    var row = rows[active[i]];
                    Step(row, logitBuf.AsSpan(i * v, v), s, stops);
                    if (row.Finish is not null) continue;
                    // Finished rows stop costing work: move the survivors' cache slots to the front (i ≥ kept, so forward copies are safe).
                    if (kept != i)
                        foreach (var buffer in cache) Array.Copy(buffer, (long)i * slab, buffer, (long)kept * slab, slab);
                    active[kept++] = active[i];
                }
                onTokens?.Invoke(a);
                if (kept < a)
                {
                    active.RemoveRange(kept, a - kept);
                    foreach (var view in views) view.Dispose();
                    views = kept > 0 ? Views(cache, kept, kvH, maxLen, d) : [];
                }
            }
        }
        finally { foreach (var view in views) view.Dispose(); }
    }

    /// <summary>Cache arrays of at least <paramref name="length"/> floats, kept across groups so only growth allocates.</summary>
    float[][] CacheBuffers(int count, int length)
    {
        if (_cachePool is null || _cachePool.Length != count || _cachePool[0].Length < length)
            _cachePool = Enumerable.Range(0, count).Select(_ => new float[length]).ToArray();
        return _cachePool;
    }

    /// <summary>Tensor views [rows, kvH, maxLen, D] over the first rows of each buffer (no copy; the memory is pinned while a view lives).</summary>
    static OrtValue[] Views(float[][] cache, int rows, int kvH, int maxLen, int d)
        => cache.Select(b => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, b.AsMemory(0, rows * kvH * maxLen * d), [rows, kvH, maxLen, d])).ToArray();
}
