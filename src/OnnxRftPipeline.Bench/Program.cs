using OnnxRftPipeline.Bench;

// Sub-benchmarks register here by name; each takes its own options and returns an exit code.
var benchmarks = new Dictionary<string, (string Help, Func<string[], int> Run)>(StringComparer.Ordinal)
{
    ["train"] = ("tokens/s and MFU of training a preset (fp32 matmul peak measured in the same run)", TrainBench.Run),
    ["serve"] = ("generator service tokens/s with concurrent clients vs offline batched sampling, p50/p99 latency, RSS growth under load", ServeBench.Run),
    ["engines"] = ("native engine vs onnxruntime-genai tokens/s, K = 8: short task prompts and a shared 512-token context; threads 1, 2 and with a competing process", EnginesBench.Run),
    ["sample"] = ("ONNX Runtime decode tokens/s vs no cache and TorchSharp, FLOP share, shared vs separate prefill", SampleBench.Run),
    ["import"] = ("a Qwen2.5-0.5B-shaped HF checkpoint (random bf16 weights): export time and peak RSS, decode tokens/s and time outside ORT, one training step", ImportBench.Run),
    ["train-quality"] = ("exact match of a preset on a held-out addition split after a time budget", TrainQualityBench.Run),
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "list")
{
    Console.WriteLine("usage: bench <name> [options]   (bench <name> --help for options)");
    foreach (var (name, (help, _)) in benchmarks) Console.WriteLine($"  {name,-14} {help}");
    return args.Length == 0 ? 2 : 0;
}
if (!benchmarks.TryGetValue(args[0], out var bench))
{
    Console.Error.WriteLine($"unknown benchmark '{args[0]}' (known: {string.Join(", ", benchmarks.Keys)})");
    return 2;
}
try { return bench.Run(args[1..]); }
catch (ArgumentException e) { Console.Error.WriteLine($"bench {args[0]}: {e.Message}"); return 2; }
// A bad task option (train-quality's --train-difficulty) is the task library's user error, not a crash.
catch (OnnxRftPipeline.Tasks.Synth.SynthException e) { Console.Error.WriteLine($"bench {args[0]}: {e.Message}"); return 2; }
