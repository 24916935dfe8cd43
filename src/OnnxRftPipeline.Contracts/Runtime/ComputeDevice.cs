namespace OnnxRftPipeline.Contracts.Runtime;

/// <summary>Where a model runs: the sampler's and service's ONNX Runtime / onnxruntime-genai sessions, or training's TorchSharp model.</summary>
public enum ComputeDevice { Cpu, Cuda }

/// <summary>The spelling of a device on the command line, in the cycle config and in lineage: <c>cpu</c>, <c>cuda</c>.</summary>
public static class ComputeDevices
{
    static readonly Spelling<ComputeDevice> S = new((ComputeDevice.Cpu, "cpu"), (ComputeDevice.Cuda, "cuda"));
    public static string Name(ComputeDevice device) => S.Name(device);
    public static ComputeDevice Parse(string? text, string field) => S.Parse(text, field);
}
