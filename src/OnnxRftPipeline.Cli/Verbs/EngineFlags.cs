using System.CommandLine;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>
/// `--engine native|genai` and `--device cpu|cuda`, shared by the verbs that generate (sample, eval, serve), read with the one
/// parser of each (<see cref="EngineKinds"/>, <see cref="ComputeDevices"/>) so the CLI and the cycle config spell them alike.
/// </summary>
public sealed class EngineFlags(bool offerEngine = true)
{
    public readonly Option<string> Engine = Opt.With("--engine", EngineKinds.Name(EngineKind.Native),
        "native (the product's engine: shared prefill, continuous batching, per-candidate seeds) or genai (onnxruntime-genai).");
    public readonly Option<string> Device = Opt.With("--device", ComputeDevices.Name(ComputeDevice.Cpu),
        "cpu or cuda (needs a build with -p:RftCuda=true and a CUDA 13 runtime; an error, never a silent CPU run, where it is missing).");

    public Option[] Options => offerEngine ? [Engine, Device] : [Device];

    public EngineKind ReadEngine(ParseResult p) => offerEngine ? EngineKinds.Parse(p.GetValue(Engine), "--engine") : EngineKind.Native;
    public ComputeDevice ReadDevice(ParseResult p) => ComputeDevices.Parse(p.GetValue(Device), "--device");
}
