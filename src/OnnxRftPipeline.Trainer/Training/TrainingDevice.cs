using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Runtime;
using TorchSharp;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// The TorchSharp device of <c>rft train --device</c>. cuda is checked before any work starts: where libtorch has no CUDA
/// (the default build carries libtorch-cpu) or sees no GPU, the run stops with a clear error instead of training on the CPU;
/// where it sees one, it stops too: training on CUDA is not wired yet (see below).
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
        // A libtorch with CUDA (an RftTorchCuda build) would get here. The trainer still creates its batches and reads its
        // losses on the CPU, and no CUDA build of TorchSharp can be restored or tested from this project's registry, so
        // the device move is not wired: refused by name rather than run on the CPU.
        throw UserError.Mark(new InvalidOperationException(
            "--device cuda: TorchSharp sees a GPU, but the trainer does not place its model and batches on it yet (untested: " +
            "TorchSharp-cuda-linux is not served here). Use --device cpu."));
    }
}
