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

public static class DecoderIoExtensions
{
    /// <summary>The names a model folder's genai_config.json declares.</summary>
    public static DecoderIo ToDecoderIo(this OnnxRftPipeline.Contracts.Models.GenAiDecoder d) => new()
    {
        InputIds = d.Inputs.InputIds,
        AttentionMask = d.Inputs.AttentionMask,
        PositionIds = d.Inputs.PositionIds,
        PastKey = d.Inputs.PastKeyNames,
        PastValue = d.Inputs.PastValueNames,
        Logits = d.Outputs.Logits,
        PresentKey = d.Outputs.PresentKeyNames,
        PresentValue = d.Outputs.PresentValueNames,
    };
}
