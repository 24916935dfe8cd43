namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>
/// A tiny 64-bit PRNG (Steele et al.'s SplitMix64). Hand-written so that a candidate's random stream
/// is fixed by its seed alone, forever: System.Random's algorithm is an implementation detail.
/// </summary>
public struct SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
