using OnnxRftPipeline.Contracts.Runtime;

namespace OnnxRftPipeline.Sampler.Engine.GenAi;

/// <summary>How the onnxruntime-genai engine opens a model folder.</summary>
public sealed record GenAiOptions
{
    /// <summary>
    /// ONNX Runtime intra-op threads of GenAI's decoder session; 0 = every core, as the native engine. GenAI's own default
    /// (no session option) is 1 thread here, which leaves the second core idle.
    /// </summary>
    public int Threads { get; init; }
    /// <summary>cpu, or cuda (GenAI's cuda provider: an error where it cannot load, never a CPU run).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    /// <summary>ORT's intra-op busy-wait between kernels (its default); false blocks instead, for cores shared with other work.</summary>
    public bool SpinWait { get; init; } = true;
    /// <summary>Most rows per GenAI Generator: GenAI refuses more than 32 (batch_size must be in [1, 32]).</summary>
    public int MaxBatchRows { get; init; } = MaxGeneratorRows;

    public const int MaxGeneratorRows = 32;
}
