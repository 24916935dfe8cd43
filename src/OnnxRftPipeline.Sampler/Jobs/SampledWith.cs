using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>
/// A sample job's settings as its candidate rows (sampler_settings) and lineage record them: K and the
/// <see cref="SamplingSettings"/> in snake_case (the seed has its own column), plus the service when one drew them. The
/// property order is the JSON's field order, the same text jobs have always written, so existing outputs still compare equal.
/// </summary>
public sealed record SampledWith(
    [property: JsonIgnore] int K, [property: JsonIgnore] SamplingSettings Sampling, [property: JsonIgnore] string? Service)
{
    [JsonPropertyName("k")] public int KField => K;
    [JsonPropertyName("temperature")] public double Temperature => Sampling.Temperature;
    [JsonPropertyName("top_k")] public int TopK => Sampling.TopK;
    [JsonPropertyName("top_p")] public double TopP => Sampling.TopP;
    [JsonPropertyName("max_new_tokens")] public int MaxNewTokens => Sampling.MaxNewTokens;
    [JsonPropertyName("stop")] public IReadOnlyList<string> Stop => Sampling.StopStrings;
    [JsonPropertyName("service"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ServiceField => Service;

    public string ToJson() => JsonSerializer.Serialize(this);
}
