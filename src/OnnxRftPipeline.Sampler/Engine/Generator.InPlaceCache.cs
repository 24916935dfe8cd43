using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// The decode loop for graphs that update their cache in place (<see cref="OnnxDecoder.SharesPastPresent"/>): one
/// [rows, kvH, capacity, D] buffer per layer key/value, bound through IOBinding as both past and present, and logits
/// written into a reused array. A step then allocates no tensors and copies no cache; finished rows are compacted to the
/// front of the same buffers.
/// The capacity grows <see cref="CacheGrowth"/> columns at a time within arrays sized once for the longest the group can
/// reach: a graph whose attention reads the whole bound buffer (standard-inplace) then reads at most that many unused
/// columns, and the re-layout on growth copies the cache once every <see cref="CacheGrowth"/> steps instead of every step
/// as a concatenating graph does. (Measured on the small preset at batch 64, 128 new tokens: a max-length buffer made
/// standard-inplace slower than the standard graph; growing by 16 made it faster, and GroupQueryAttention a little faster too.)
/// </summary>
public sealed partial class Generator
{
    float[][]? _cachePool;
    const int CacheGrowth = 16;

    void RunCachedInPlace(List<PromptRequest> group, List<DecodeRow> rows, SamplingSettings s, CancellationToken ct, Action<int>? onTokens)
    {
        int kvH = decoder.KvHeads, d = decoder.HeadDim, v = decoder.VocabSize, n = rows.Count;
        int[] unitOfRow;
        int width;
        List<int> active;
        float[][] cache;
        int maxLen, longest;
        // Prefill through the ordinary path (present [units, kvH, width, D]), then copy each active row's prompt
        // cache into its slot of the buffers: the shared-prefill fan-out.
        using (var outputs = SharedPrefill(group, rows, onTokens, out unitOfRow, out width, out active))
        {
            // Decode steps write columns width .. width + MaxNewTokens - 2 at most (GroupQueryAttention keeps each row's keys
            // contiguous, so its columns are fewer), and a step needs capacity for its mask width t + 1.
            longest = width + s.MaxNewTokens;
            maxLen = Math.Min(longest, width + CacheGrowth);
            cache = CacheBuffers(2 * decoder.Layers, n * kvH * longest * d);
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
        var maskBuf = new long[n * longest];
        var logitBuf = new float[n * v];
        var views = Views(cache, active.Count, kvH, maxLen, d);
        int t = width;
        try
        {
            while (active.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                int a = active.Count;
                if (t + 1 > maxLen)
                {
                    int grown = Math.Min(longest, maxLen + CacheGrowth);
                    foreach (var view in views) view.Dispose();
                    foreach (var buffer in cache) Widen(buffer, a * kvH, maxLen * d, grown * d);
                    maxLen = grown;
                    views = Views(cache, a, kvH, maxLen, d);
                }
                FillStepInputs(rows, active, t, width, idBuf, posBuf, maskBuf);
                using (var idsV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, idBuf.AsMemory(0, a), [a, 1]))
                using (var maskV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, maskBuf.AsMemory(0, a * (t + 1)), [a, t + 1]))
                using (var posV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, posBuf.AsMemory(0, a), [a, 1]))
                using (var logitsV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, logitBuf.AsMemory(0, a * v), [a, 1, v]))
                    decoder.RunInPlace(idsV, maskV, posV, views, logitsV);
                t++;
                int kept = 0, slab = kvH * maxLen * d; // one row's cache in each buffer
                for (int i = 0; i < a; i++)
                {
                    var row = rows[active[i]];
                    _step.Next(row, logitBuf.AsSpan(i * v, v));
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

    /// <summary>
    /// Re-lays out <paramref name="blocks"/> blocks of <paramref name="oldStride"/> floats at a larger stride in the same array.
    /// Last block first: every block moves to a higher offset, so no block overwrites one not yet moved (Array.Copy handles
    /// the overlap within a block). The columns past the old stride keep stale values; the mask hides them until written.
    /// </summary>
    static void Widen(float[] buffer, int blocks, int oldStride, int newStride)
    {
        for (int b = blocks - 1; b > 0; b--) Array.Copy(buffer, (long)b * oldStride, buffer, (long)b * newStride, oldStride);
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
