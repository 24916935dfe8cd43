using OnnxRftPipeline.Contracts.Runtime;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Which decoder draws the candidates: the product's own engine over ONNX Runtime (shared prefill, continuous batching,
/// per-candidate seeds) or onnxruntime-genai's Generator (see GenAi/GenAiGenerator.cs for what its per-generator seeds mean).
/// </summary>
public enum EngineKind { Native, GenAi }

/// <summary>The spelling of an engine on the command line, in the cycle config and in lineage: <c>native</c>, <c>genai</c>.</summary>
public static class EngineKinds
{
    static readonly Spelling<EngineKind> S = new((EngineKind.Native, "native"), (EngineKind.GenAi, "genai"));
    public static string Name(EngineKind engine) => S.Name(engine);
    public static EngineKind Parse(string? text, string field) => S.Parse(text, field);
}
