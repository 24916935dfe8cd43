using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// Rotary position settings of a checkpoint and the inverse frequencies they imply, computed once here so the
/// trainer and the exporter rotate by the same angles. Read from transformers 5's rope_parameters, or from the older
/// top-level rope_theta + rope_scaling. Types: default, linear (positions divided by factor) and llama3 (Llama 3.1's
/// wavelength-dependent blend); the formulas follow transformers' modeling_rope_utils in float32. Any other type, or a
/// setting these types do not use (attention_factor, say), is refused naming the field.
/// </summary>
public sealed record RopeScaling(string Type, double Theta, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions)
{
    public static readonly string[] SupportedTypes = ["default", "linear", "llama3"];

    public static RopeScaling From(LlamaConfig c, string source)
    {
        var (obj, field) = c.RopeParameters is not null ? (c.RopeParameters, "rope_parameters") : (c.RopeScalingField, "rope_scaling");
        double theta = c.RopeThetaField ?? 10000.0;
        if (obj is null) return Checked(new RopeScaling("default", theta, 1, 1, 1, 0), source, "rope_theta");

        string? Text(string key) => obj[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        double? Number(string key)
        {
            if (obj[key] is null) return null;
            if (obj[key] is JsonValue v && v.TryGetValue(out double d)) return d;
            throw new InvalidDataException($"{source}: {field}.{key} must be a number");
        }
        var type = Text("rope_type") ?? Text("type") ?? "default";
        if (!SupportedTypes.Contains(type))
            throw new InvalidDataException($"{source}: {field}.rope_type '{type}' is not supported (supported: {string.Join(", ", SupportedTypes)})");
        theta = Number("rope_theta") ?? theta;
        var af = Number("attention_factor");
        if (af is not null && af != 1.0)
            throw new InvalidDataException($"{source}: {field}.attention_factor {af} is not supported (only 1)");
        var r = type switch
        {
            "default" => new RopeScaling(type, theta, 1, 1, 1, 0),
            "linear" => new RopeScaling(type, theta, Need(Number("factor"), "factor"), 1, 1, 0),
            _ => new RopeScaling(type, theta, Need(Number("factor"), "factor"), Need(Number("low_freq_factor"), "low_freq_factor"),
                Need(Number("high_freq_factor"), "high_freq_factor"), (int)Need(Number("original_max_position_embeddings"), "original_max_position_embeddings")),
        };
        if (type == "llama3" && !(r.HighFreqFactor > r.LowFreqFactor))
            throw new InvalidDataException($"{source}: {field}.high_freq_factor must exceed low_freq_factor");
        return Checked(r, source, field);

        double Need(double? v, string key) => v ?? throw new InvalidDataException($"{source}: {field}.{key} is missing (rope_type {type})");
    }

    static RopeScaling Checked(RopeScaling r, string source, string field)
    {
        if (!(r.Theta > 0) || !double.IsFinite(r.Theta)) throw new InvalidDataException($"{source}: {field} rope_theta must be a positive finite number");
        if (!(r.Factor > 0) || !double.IsFinite(r.Factor)) throw new InvalidDataException($"{source}: {field}.factor must be a positive finite number");
        return r;
    }

    /// <summary>inv_freq[i] for i in [0, headDim/2), as transformers computes it (float32).</summary>
    public float[] InverseFrequencies(int headDim)
    {
        int half = headDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = 1f / MathF.Pow((float)Theta, (2f * i) / headDim);
        switch (Type)
        {
            case "linear":
                for (int i = 0; i < half; i++) inv[i] /= (float)Factor;
                break;
            case "llama3":
            {
                float factor = (float)Factor, low = (float)LowFreqFactor, high = (float)HighFreqFactor, old = OriginalMaxPositions;
                float lowWavelen = old / low, highWavelen = old / high;
                for (int i = 0; i < half; i++)
                {
                    float wavelen = 2f * MathF.PI / inv[i];
                    float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
                    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen))
                    {
                        float smooth = (old / wavelen - low) / (high - low);
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = scaled;
                }
                break;
            }
        }
        return inv;
    }

    /// <summary>cos and sin tables [positions, headDim] (angles duplicated over both halves, HF's rotate_half layout).</summary>
    public (float[] Cos, float[] Sin) Tables(int headDim, int positions)
    {
        var inv = InverseFrequencies(headDim);
        int half = headDim / 2;
        var cos = new float[(long)positions * headDim];
        var sin = new float[(long)positions * headDim];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = p * inv[i];
                cos[p * headDim + i] = cos[p * headDim + half + i] = (float)Math.Cos(angle);
                sin[p * headDim + i] = sin[p * headDim + half + i] = (float)Math.Sin(angle);
            }
        return (cos, sin);
    }
}
