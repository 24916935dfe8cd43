namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>Graph input/output names, as genai_config.json's decoder.inputs/outputs templates give them.</summary>
public sealed record DecoderIo
{
    public string InputIds { get; init; } = "input_ids";
    public string AttentionMask { get; init; } = "attention_mask";
    public string PositionIds { get; init; } = "position_ids";
    public string PastKey { get; init; } = "past_key_values.%d.key";
    public string PastValue { get; init; } = "past_key_values.%d.value";
    public string Logits { get; init; } = "logits";
    public string PresentKey { get; init; } = "present.%d.key";
    public string PresentValue { get; init; } = "present.%d.value";

    public static string Name(string template, int layer) => template.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
