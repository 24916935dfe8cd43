using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Runtime;
using TorchSharp;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// The TorchSharp device of <c>rft train --device</c>. cuda is checked before any work starts: where libtorch has no CUDA
/// (the default build carries libtorch-cpu) or sees no GPU, the run stops with a clear error instead of training on the CPU.
/// </summary>
public static class TrainingDevice
{
    public static torch.Device Resolve(ComputeDevice device)
    {
        if (device == ComputeDevice.Cpu) return torch.CPU;
        if (!torch.cuda.is_available())
            throw UserError.Mark(new InvalidOperationException(
                "--device cuda: TorchSharp sees no CUDA device. This build's libtorch is libtorch-cpu-linux-x64 (no CUDA); a GPU " +
                "build needs -p:RftCuda=true (TorchSharp-cuda-linux, which this package registry does not serve), an NVIDIA " +
                "driver and a GPU. Use --device cpu."));
        return torch.CUDA;
    }
}
