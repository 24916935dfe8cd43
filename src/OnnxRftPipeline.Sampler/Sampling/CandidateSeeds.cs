using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OnnxRftPipeline.Sampler.Sampling;

/// <summary>
/// Per-candidate seeds and shard membership derived from stable hashes of ids, so a candidate's tokens
/// depend only on (seed, prompt id, candidate index) — not on batch composition, order or sharding.
/// </summary>
public static class CandidateSeeds
{
    public static ulong Derive(long seed, string promptId, int candidateIndex) =>
        Hash64($"{seed}\u001f{promptId}\u001f{candidateIndex}");

    /// <summary>Which of n shards owns a prompt (balanced, order-independent).</summary>
    public static int ShardOf(string promptId, int shardCount) => (int)(Hash64(promptId) % (ulong)shardCount);

    static ulong Hash64(string s)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(s), digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }
}
