namespace OnnxRftPipeline.Contracts.Runtime;

/// <summary>Where a model runs: the sampler's and service's ONNX Runtime / onnxruntime-genai sessions, or training's TorchSharp model.</summary>
public enum ComputeDevice { Cpu, Cuda }

/// <summary>
/// The one spelling of a device on the command line, in the cycle config and in lineage (<c>cpu</c>, <c>cuda</c>), and its one parser,
/// so every verb accepts and names the same values.
/// </summary>
public static class ComputeDevices
{
    public static string Name(ComputeDevice device) => device switch
    {
        ComputeDevice.Cpu => "cpu",
        ComputeDevice.Cuda => "cuda",
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, null),
    };

    /// <summary>Parses a <see cref="Name"/> value (case-insensitive); anything else is an error naming <paramref name="field"/>.</summary>
    public static ComputeDevice Parse(string? text, string field)
    {
        foreach (var d in Enum.GetValues<ComputeDevice>())
            if (string.Equals(Name(d), text?.Trim(), StringComparison.OrdinalIgnoreCase)) return d;
        throw new ArgumentException($"{field} takes {string.Join(", ", Enum.GetValues<ComputeDevice>().Select(Name))}, got '{text}'");
    }
}
