using System.Diagnostics;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Bench;

/// <summary>fp32 matmul FLOP/s on this machine now: the denominator of MFU, measured in the same run.</summary>
static class MatmulPeak
{
    /// <summary>Best FLOP/s over square sizes, each timed after a warm-up, 2n³ FLOPs per product.</summary>
    public static (double FlopsPerSecond, int BestSize) Measure(int[] sizes, double secondsPerSize = 1.5)
    {
        double best = 0;
        int bestSize = 0;
        foreach (var n in sizes)
        {
            using var scope = NewDisposeScope();
            var a = randn(n, n);
            var b = randn(n, n);
            mm(a, b).Dispose(); // warm-up
            int reps = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < secondsPerSize || reps < 3)
            {
                mm(a, b).Dispose();
                reps++;
            }
            double flops = 2.0 * n * n * n * reps / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"  matmul {n}x{n}: {flops / 1e9,7:F1} GFLOP/s ({reps} reps)");
            if (flops > best) { best = flops; bestSize = n; }
        }
        return (best, bestSize);
    }
}
