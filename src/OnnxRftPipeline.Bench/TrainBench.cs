using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench train: trains a preset for a fixed number of steps on fixed-length synthetic text and prints
/// tokens/s, achieved FLOP/s (6 × params × tokens / s) and MFU against the fp32 matmul peak.
/// </summary>
static class TrainBench
{
    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "steps", "batch", "seq-len", "threads", "trajectories");
        if (a.Help)
        {
            Console.WriteLine("bench train [--preset small] [--steps 30] [--batch 16] [--seq-len 128] [--threads <cores>] [--trajectories on|off]");
            return 0;
        }
        var preset = a.String("preset", "small");
        int steps = a.Int("steps", 30), batch = a.Int("batch", 16), seqLen = a.Int("seq-len", 128);
        int threads = a.Int("threads", Environment.ProcessorCount);
        bool trajectories = a.String("trajectories", "on") switch
        {
            "on" => true, "off" => false, var v => throw new ArgumentException($"--trajectories must be on or off, got '{v}'"),
        };
        var config = Presets.Get(preset);
        if (seqLen > config.MaxPositionEmbeddings) throw new ArgumentException($"--seq-len {seqLen} exceeds the {preset} context {config.MaxPositionEmbeddings}");
        TorchSharp.torch.set_num_threads(threads);

        Console.WriteLine($"bench train: preset {preset}, {steps} steps, batch {batch} x {seqLen} tokens, {threads} threads, {Environment.ProcessorCount} cores");
        var (peak, peakSize) = MatmulPeak.Measure([1024, 2048]);

        // Fixed-length rows (bos + prompt + response + eos = seqLen): no padding, so every token counts.
        var rng = new Random(7);
        string Text(int n) => new(Enumerable.Range(0, n).Select(_ => (char)rng.Next('a', 'z' + 1)).ToArray());
        int promptLen = (seqLen - 2) / 4, responseLen = seqLen - 2 - promptLen;
        var examples = Enumerable.Range(0, batch * steps).Select(i => new TrainExample($"r{i}", Text(promptLen), Text(responseLen))).ToList();

        var outDir = Path.Combine(Path.GetTempPath(), $"rft-bench-train-{Guid.NewGuid():N}");
        try
        {
            var result = SftTrainer.Run(new TrainOptions
            {
                Examples = examples, OutDir = outDir, Preset = preset, Epochs = 1, BatchSize = batch, Threads = threads,
                // One epoch of exactly `steps` batches, so the epoch-end trajectory pass is measured too.
                RecordTrajectories = trajectories, RunId = "bench-train",
            });
            double achieved = 6.0 * result.ParameterCount * result.TokensPerSecond;
            Console.WriteLine($"  parameters:        {result.ParameterCount:N0}");
            Console.WriteLine($"  steps:             {result.GlobalSteps} (first excluded from rates), last loss {result.LastStepLoss:F3}");
            Console.WriteLine($"  tokens/s:          {result.TokensPerSecond:F0}");
            Console.WriteLine($"  achieved FLOP/s:   {achieved / 1e9:F1} G (6 x params x tokens/s)");
            Console.WriteLine($"  matmul peak:       {peak / 1e9:F1} G (fp32, {peakSize}x{peakSize})");
            Console.WriteLine($"  MFU:               {achieved / peak:P1}");
            if (trajectories)
                Console.WriteLine($"  trajectory pass:   {result.TrajectoryShare:P1} of epoch time (no-grad loss of all {examples.Count} examples)");
            return 0;
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }
}
