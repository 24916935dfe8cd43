namespace OnnxRftPipeline.Export;

/// <summary>
/// Symmetric per-output-column int8 quantization of a projection weight W [K, N] (row-major, as the graph stores it):
/// scale_n = max_k |W[k,n]| / 63, W_q[k,n] = round(W[k,n] / scale_n) in [-63, 63], zero point 0. The layout
/// com.microsoft DynamicQuantizeMatMul takes: B int8 [K, N] and b_scale float [N] (one scale per column of B).
/// Seven bits, not eight: on x86 CPUs without VNNI, ORT's u8s8 kernels add pairs of uint8 × int8 products in int16
/// (vpmaddubsw), which saturates for |W_q| near 127 (255·127·2 > 32767) and silently corrupts results; ORT's own
/// quantizer offers reduce_range for this. Sampling shards may land on such nodes, so the export never depends on VNNI.
/// </summary>
public static class Int8Weights
{
    /// <summary>Initializer name suffixes (ONNX Runtime's own quantizer names its tensors the same way).</summary>
    public const string QuantizedSuffix = "_quantized", ScaleSuffix = "_scale";
    public const int MaxLevel = 63;

    public static (sbyte[] Quantized, float[] Scales) Quantize(float[] w, int rows, int cols)
    {
        if (w.Length != (long)rows * cols) throw new ArgumentException($"weight has {w.Length} values, expected {rows}x{cols}");
        var maxAbs = new float[cols];
        for (int k = 0; k < rows; k++)
            for (int n = 0; n < cols; n++)
                maxAbs[n] = Math.Max(maxAbs[n], Math.Abs(w[k * cols + n]));
        // An all-zero column quantizes to zeros whatever its scale; 1 keeps the division finite.
        var scales = maxAbs.Select(m => m > 0 ? m / MaxLevel : 1f).ToArray();
        var q = new sbyte[w.Length];
        for (int k = 0; k < rows; k++)
            for (int n = 0; n < cols; n++)
                q[k * cols + n] = (sbyte)Math.Clamp(MathF.Round(w[k * cols + n] / scales[n], MidpointRounding.ToEven), -MaxLevel, MaxLevel);
        return (q, scales);
    }

    /// <summary>W_q · scale, the weight the int8 graph effectively multiplies by.</summary>
    public static float[] Dequantize(sbyte[] q, float[] scales, int rows, int cols)
    {
        var w = new float[q.Length];
        for (int k = 0; k < rows; k++)
            for (int n = 0; n < cols; n++)
                w[k * cols + n] = q[k * cols + n] * scales[n];
        return w;
    }
}
