namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Which decoder draws the candidates: the product's own engine over ONNX Runtime (shared prefill, continuous batching,
/// per-candidate seeds) or onnxruntime-genai's Generator (see GenAi/GenAiGenerator.cs for what its per-generator seeds mean).
/// </summary>
public enum EngineKind { Native, GenAi }

/// <summary>The one spelling of an engine on the command line, in the cycle config and in lineage (<c>native</c>, <c>genai</c>), and its one parser.</summary>
public static class EngineKinds
{
    public static string Name(EngineKind engine) => engine switch
    {
        EngineKind.Native => "native",
        EngineKind.GenAi => "genai",
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, null),
    };

    /// <summary>Parses a <see cref="Name"/> value (case-insensitive); anything else is an error naming <paramref name="field"/>.</summary>
    public static EngineKind Parse(string? text, string field)
    {
        foreach (var e in Enum.GetValues<EngineKind>())
            if (string.Equals(Name(e), text?.Trim(), StringComparison.OrdinalIgnoreCase)) return e;
        throw new ArgumentException($"{field} takes {string.Join(", ", Enum.GetValues<EngineKind>().Select(Name))}, got '{text}'");
    }
}
