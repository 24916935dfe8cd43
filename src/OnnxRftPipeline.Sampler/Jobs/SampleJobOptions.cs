using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>Everything `rft sample` is told.</summary>
public sealed record SampleJobOptions
{
    /// <summary>A model folder, or models/NAME (its newest version).</summary>
    public required string Model { get; init; }
    /// <summary>SFT examples whose prompts are sampled.</summary>
    public required string Prompts { get; init; }
    /// <summary>Hardness from `rft select`; with OnlyHard, only prompts marked hard are sampled.</summary>
    public string? Hardness { get; init; }
    public bool OnlyHard { get; init; }
    public int K { get; init; } = 8;
    public SamplingSettings Sampling { get; init; } = new();
    /// <summary>Verifier spec (see src/OnnxRftPipeline.Verifiers/README.md).</summary>
    public required string Verifier { get; init; }
    public required string OutDir { get; init; }
    public int ShardIndex { get; init; }
    public int ShardCount { get; init; } = 1;
    /// <summary>Continue a killed job: finished part files are kept, the rest is generated.</summary>
    public bool Resume { get; init; }
    /// <summary>Replace this shard's earlier parts and manifest (other shards' files in a shared folder stay).</summary>
    public bool Overwrite { get; init; }
    /// <summary>Prompts per part file: the unit of resumption.</summary>
    public int PromptsPerPart { get; init; } = 32;
    public int MaxBatchRows { get; init; } = 64;
    public int Threads { get; init; }
    /// <summary>native (default) or genai; recorded with the candidates, since under sampling the engines draw different ones.</summary>
    public EngineKind Engine { get; init; } = EngineKind.Native;
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    public string RunId { get; init; } = "";

    /// <summary>How the local engine runs for this job.</summary>
    public EngineSettings EngineSettings => new() { Engine = Engine, Device = Device, Threads = Threads, MaxBatchRows = MaxBatchRows };

    public void Validate()
    {
        Sampling.Validate();
        if (K < 1) throw new ArgumentException($"--k must be >= 1, got {K}");
        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
            throw new ArgumentException($"--shard must be i/n with 0 <= i < n, got {ShardIndex}/{ShardCount}");
        if (OnlyHard && Hardness is null) throw new ArgumentException("--only-hard needs --hardness DIR");
        if (Resume && Overwrite) throw new ArgumentException("--resume and --overwrite exclude each other: continue the shard's parts or replace them");
        if (PromptsPerPart < 1) throw new ArgumentException($"--prompts-per-part must be >= 1, got {PromptsPerPart}");
        if (MaxBatchRows < 1) throw new ArgumentException($"--max-batch-rows must be >= 1, got {MaxBatchRows}");
        if (Threads < 0) throw new ArgumentException($"--threads must be 0 (all cores) or more, got {Threads}");
    }

    /// <summary>Parses "i/n" (e.g. from a Kubernetes Indexed Job: $JOB_COMPLETION_INDEX/N).</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var i) || !int.TryParse(parts[1], out var n) || n < 1 || i < 0 || i >= n)
            throw new ArgumentException($"--shard must be i/n with 0 <= i < n (e.g. 0/4), got '{text}'");
        return (i, n);
    }
}

public sealed record SampleProgress(int PromptsDone, int PromptsTotal, long Tokens);

public sealed record SampleSummary(
    int Prompts, int PromptsResumed, long Candidates, long DistinctCandidates, long Accepted, int PromptsWithAccepted,
    long SampledTokens, double Seconds, string OutDir, string ModelVersion);
