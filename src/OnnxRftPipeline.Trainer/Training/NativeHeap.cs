using System.Runtime.InteropServices;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// glibc's allocator keeps freed memory in its heap instead of returning it to the system. libtorch frees and re-allocates
/// each step's activations and gradients, so a 0.5B-parameter model's RSS grew by ~2.3 GB per step (`scripts/bench import`:
/// 9.8 → 12.5 → 14.7 GB over three steps, with every tensor disposed). Returning the free heap after each optimizer step
/// (malloc_trim) keeps RSS flat: 6 layers of that shape, batch 1 × 256, RSS after each step 6.58, 7.22, 7.28, 7.25 GB (8 layers
/// without it: 7.45 → 10.85 GB over 6 steps), at no cost to the small preset (1,679 tokens/s). A fixed 1 MiB mmap threshold (mallopt) did too, but made every such buffer an mmap/munmap
/// with fresh page faults: the small preset trained at 317 tokens/s instead of 1,660 (`scripts/bench train`), so it is not used.
/// Hand-written P/Invoke: no package exposes glibc's malloc_trim.
/// </summary>
public static class NativeHeap
{
    static int unavailable;

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    /// <summary>Returns the heap's free memory to the system (Linux with glibc; elsewhere nothing happens).</summary>
    public static void ReturnFreeMemory()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref unavailable) == 1) return;
        try { MallocTrim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { Volatile.Write(ref unavailable, 1); }
    }
}
