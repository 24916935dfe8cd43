using System.Runtime.InteropServices;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// glibc's allocator keeps freed memory below its (self-raising) mmap threshold in the heap instead of returning it to the
/// system. libtorch frees and re-allocates each step's activations and gradients (megabytes each), so a 0.5B-parameter
/// model's RSS grew by ~2.3 GB per step (`scripts/bench import`: 9.8 → 12.5 → 14.7 GB over three steps, with every tensor
/// disposed). Fixing the threshold at 1 MiB makes such buffers mmap-backed and returned on free: RSS stayed at 10.0–10.3 GB
/// (the same measured with GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576). Hand-written P/Invoke: no package exposes mallopt.
/// </summary>
public static class NativeHeap
{
    const int M_MMAP_THRESHOLD = -3;
    static int configured;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    /// <summary>Once per process, on Linux with glibc; elsewhere (or if libc has no mallopt) nothing happens.</summary>
    public static void ReturnLargeBuffersToTheSystem()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref configured, 1) == 1) return;
        try { Mallopt(M_MMAP_THRESHOLD, 1 << 20); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
}
