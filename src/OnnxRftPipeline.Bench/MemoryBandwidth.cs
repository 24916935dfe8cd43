using System.Diagnostics;
using System.Numerics;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// Main-memory read bandwidth on this machine now, measured in the same run as the decode rates: a decode step
/// at a large batch reads the whole KV cache, so bytes / bandwidth bounds its time from below whatever the
/// kernels do. Hand-written because no package here measures it (BenchmarkDotNet times code, it has no
/// bandwidth probe); a plain SIMD sum over a buffer far larger than the last-level cache, one slice per thread.
/// </summary>
static class MemoryBandwidth
{
    /// <summary>Best bytes/s over <paramref name="repeats"/> full reads of a <paramref name="megabytes"/> MB buffer.</summary>
    public static double Measure(int threads, int megabytes = 512, int repeats = 5)
    {
        var data = new float[(long)megabytes * 1024 * 1024 / sizeof(float)];
        Array.Fill(data, 1f); // touch every page before timing
        int slice = data.Length / threads / Vector<float>.Count * Vector<float>.Count;
        double best = 0, sink = 0;
        for (int r = 0; r <= repeats; r++)
        {
            var sums = new float[threads];
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sums[t] = Sum(data.AsSpan(t * slice, slice)));
            double seconds = sw.Elapsed.TotalSeconds;
            sink += sums.Sum();
            if (r > 0) best = Math.Max(best, (double)slice * threads * sizeof(float) / seconds); // r = 0 warms the threads up
        }
        // The sums are used, so the reads cannot be optimised away.
        double expected = (double)slice * threads * (repeats + 1);
        if (Math.Abs(sink - expected) > expected * 1e-3) throw new InvalidOperationException("bandwidth probe summed wrongly");
        return best;
    }

    static float Sum(ReadOnlySpan<float> span)
    {
        // Four accumulators keep several loads in flight; one would serialise on the add latency.
        Vector<float> a = default, b = default, c = default, d = default;
        int w = Vector<float>.Count, i = 0;
        for (; i + 4 * w <= span.Length; i += 4 * w)
        {
            a += new Vector<float>(span[i..]);
            b += new Vector<float>(span[(i + w)..]);
            c += new Vector<float>(span[(i + 2 * w)..]);
            d += new Vector<float>(span[(i + 3 * w)..]);
        }
        float s = Vector.Sum(a + b + c + d);
        for (; i < span.Length; i++) s += span[i];
        return s;
    }
}
