using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Generation;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench train-quality: trains a preset on an addition set ("a+b=" → "a+b", operands up to --digits
/// digits) within a time budget, then prints greedy exact match on a held-out split. The set is
/// generated here (a stand-in until the bundled addition task's generator is wired in).
/// </summary>
static class TrainQualityBench
{
    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "minutes", "digits", "train-size", "eval-size", "epochs", "batch", "lr", "threads");
        if (a.Help)
        {
            Console.WriteLine("bench train-quality [--preset small] [--minutes 10] [--digits 3] [--train-size 20000] [--eval-size 500] [--epochs 20] [--batch 64] [--lr 1e-3] [--threads <cores>]");
            return 0;
        }
        var preset = a.String("preset", "small");
        double minutes = a.Double("minutes", 10);
        int digits = a.Int("digits", 3), trainSize = a.Int("train-size", 20000), evalSize = a.Int("eval-size", 500);
        int epochs = a.Int("epochs", 20), batch = a.Int("batch", 64), threads = a.Int("threads", Environment.ProcessorCount);
        double lr = a.Double("lr", 1e-3);

        var rng = new Random(11);
        int max = (int)Math.Pow(10, digits);
        var seen = new HashSet<(int, int)>();
        var all = new List<TrainExample>();
        while (all.Count < trainSize + evalSize && seen.Count < (long)max * max)
        {
            int x = rng.Next(max), y = rng.Next(max);
            if (seen.Add((x, y))) all.Add(new TrainExample($"add-{x}-{y}", $"{x}+{y}=", (x + y).ToString()));
        }
        var train = all.Take(trainSize).ToList();
        var eval = all.Skip(trainSize).ToList();
        Console.WriteLine($"bench train-quality: preset {preset}, {train.Count} train / {eval.Count} eval, {digits}-digit operands, budget {minutes} min, {threads} threads");

        var outDir = Path.Combine(Path.GetTempPath(), $"rft-bench-quality-{Guid.NewGuid():N}");
        try
        {
            var lastReport = DateTime.UtcNow;
            var progress = new Progress(p =>
            {
                if ((DateTime.UtcNow - lastReport).TotalSeconds < 30) return;
                lastReport = DateTime.UtcNow;
                Console.WriteLine($"  epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.TokensPerSecond:F0} tok/s");
            });
            var result = SftTrainer.Run(new TrainOptions
            {
                Examples = train, OutDir = outDir, Preset = preset, Epochs = epochs, BatchSize = batch, Threads = threads,
                LearningRate = lr, RecordTrajectories = false, TimeLimit = TimeSpan.FromMinutes(minutes), RunId = "bench-quality",
            }, progress);
            var (model, tok) = Checkpoint.Load(result.CheckpointDir);
            using var _ = model;
            int correct = 0;
            foreach (var chunk in eval.Chunk(100))
            {
                var outputs = ReferenceGenerator.Greedy(model, tok, chunk.Select(e => e.Prompt).ToList(), digits + 3);
                correct += chunk.Zip(outputs).Count(p => p.First.Response == p.Second);
            }
            Console.WriteLine($"  trained {result.TrainSeconds / 60:F1} min, {result.GlobalSteps} steps{(result.StoppedAtLimit ? " (stopped by the time budget)" : "")}, {result.TokensPerSecond:F0} tok/s");
            Console.WriteLine($"  epoch mean losses: {string.Join(" ", result.EpochMeanLosses.Select(l => l.ToString("F3")))}");
            Console.WriteLine($"  eval exact match:  {correct}/{eval.Count} = {(double)correct / eval.Count:P1}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }

    sealed class Progress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
