using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Runtime;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// The native engine's device: nothing to add for cpu, ONNX Runtime's CUDA provider for cuda. Where CUDA cannot be had the
/// error names what is missing (the provider in this build, the CUDA runtime libraries, the driver) and nothing runs on the
/// CPU instead: a user who asked for a GPU must not get a silent CPU run at a tenth of the speed.
/// </summary>
public static class ExecutionProviders
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>The libraries ORT 1.32's CUDA provider opens (CUDA 13 runtime, cuBLAS, cuDNN 9) and the driver's.</summary>
    static readonly string[] CudaLibraries = ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcudnn.so.9"];

    /// <summary>Appends <paramref name="device"/>'s execution provider to <paramref name="options"/> (cpu: ORT's default, nothing).</summary>
    public static void Append(SessionOptions options, ComputeDevice device, int deviceId = 0)
    {
        if (device == ComputeDevice.Cpu) return;
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
            throw Unavailable("this build's ONNX Runtime (Microsoft.ML.OnnxRuntime, CPU only) has no CUDA provider; build with " +
                "-p:RftCuda=true for Microsoft.ML.OnnxRuntime.Gpu 1.32.0");
        try { options.AppendExecutionProvider_CUDA(deviceId); }
        catch (OnnxRuntimeException e)
        {
            var missing = MissingCudaLibraries();
            throw Unavailable($"ONNX Runtime could not load its CUDA provider ({e.Message.Split('\n')[0].Trim()})" +
                (missing.Count > 0 ? $"; not loadable here: {string.Join(", ", missing)}" : "") +
                " (ORT 1.32's provider needs the CUDA 13 runtime, cuBLAS, cuDNN 9 and an NVIDIA driver's libcuda.so.1)");
        }
    }

    /// <summary>Which of the CUDA provider's libraries the dynamic loader cannot open in this process.</summary>
    public static List<string> MissingCudaLibraries()
    {
        var missing = new List<string>();
        foreach (var lib in CudaLibraries)
        {
            if (NativeLibrary.TryLoad(lib, out var handle)) NativeLibrary.Free(handle);
            else missing.Add(lib + (lib == "libcuda.so.1" ? " (NVIDIA driver)" : ""));
        }
        return missing;
    }

    static Exception Unavailable(string why) => UserError.Mark(new InvalidOperationException($"--device cuda: {why}"));
}
