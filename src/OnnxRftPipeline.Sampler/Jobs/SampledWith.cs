using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>
/// A sample job's settings as its candidate rows (sampler_settings) and lineage record them: K and the
/// <see cref="SamplingSettings"/> in snake_case (the seed has its own column), plus the service when one drew them and the engine/device when not the default native/cpu. The
/// property order is the JSON's field order, the same text jobs have always written, so existing outputs still compare equal.
/// </summary>
public sealed record SampledWith(
    [property: JsonIgnore] int K, [property: JsonIgnore] SamplingSettings Sampling, [property: JsonIgnore] string? Service,
    [property: JsonIgnore] EngineKind Engine = EngineKind.Native, [property: JsonIgnore] ComputeDevice Device = ComputeDevice.Cpu)
{
    [JsonPropertyName("k")] public int KField => K;
    [JsonPropertyName("temperature")] public double Temperature => Sampling.Temperature;
    [JsonPropertyName("top_k")] public int TopK => Sampling.TopK;
    [JsonPropertyName("top_p")] public double TopP => Sampling.TopP;
    [JsonPropertyName("max_new_tokens")] public int MaxNewTokens => Sampling.MaxNewTokens;
    [JsonPropertyName("stop")] public IReadOnlyList<string> Stop => Sampling.StopStrings;
    [JsonPropertyName("service"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ServiceField => Service;

    // The engine and device change what is drawn (genai seeds per generator; CUDA kernels round differently), so a job resumed
    // with another one is refused like any other settings change. Written only when not the default, so native CPU runs keep
    // the JSON they always had.
    [JsonPropertyName("engine"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EngineField => Engine == EngineKind.Native ? null : EngineKinds.Name(Engine);
    [JsonPropertyName("device"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DeviceField => Device == ComputeDevice.Cpu ? null : ComputeDevices.Name(Device);

    public string ToJson() => JsonSerializer.Serialize(this);
}
