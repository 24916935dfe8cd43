using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Generation;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench train-quality: trains a preset on the bundled addition task's format within a time budget and
/// prints exact match of the final answer on a held-out split. The generator mirrors the Tasks
/// project's AdditionTask (prompt "Q: a+b\n", response column by column from the right with explicit
/// carries, then "#### sum"; longer operand 1–2 / 3 / 4–5 digits) because that project is not
/// referenced from this branch yet; switch to it once merged.
/// </summary>
static class TrainQualityBench
{
    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "minutes", "train-size", "eval-size", "epochs", "batch", "lr", "threads");
        if (a.Help)
        {
            Console.WriteLine("bench train-quality [--preset small] [--minutes 10] [--train-size 12000] [--eval-size 500] [--epochs 2] [--batch 32] [--lr 2e-3] [--threads <cores>]");
            return 0;
        }
        var preset = a.String("preset", "small");
        double minutes = a.Double("minutes", 10);
        int trainSize = a.Int("train-size", 12000), evalSize = a.Int("eval-size", 500);
        int epochs = a.Int("epochs", 2), batch = a.Int("batch", 32), threads = a.Int("threads", Environment.ProcessorCount);
        double lr = a.Double("lr", 2e-3);

        var rng = new Random(11);
        var seen = new HashSet<string>();
        var all = new List<(TrainExample Example, string Answer)>();
        while (all.Count < trainSize + evalSize)
        {
            var (prompt, response, answer) = Addition(rng);
            if (seen.Add(prompt)) all.Add((new TrainExample($"add-{all.Count}", prompt, response), answer));
        }
        var train = all.Take(trainSize).Select(x => x.Example).ToList();
        var eval = all.Skip(trainSize).ToList();
        Console.WriteLine($"bench train-quality: preset {preset}, {train.Count} train / {eval.Count} eval addition problems, budget {minutes} min, {threads} threads");
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
            int correct = 0, exact = 0;
            foreach (var chunk in eval.Chunk(100))
            {
                var outputs = ReferenceGenerator.Greedy(model, tok, chunk.Select(e => e.Example.Prompt).ToList(), 96);
                foreach (var (e, output) in chunk.Zip(outputs))
                {
                    if (FinalAnswer(output) == e.Answer) correct++;
                    if (output == e.Example.Response) exact++;
                }
            }
            Console.WriteLine($"  trained {result.TrainSeconds / 60:F1} min, {result.GlobalSteps} steps{(result.StoppedAtLimit ? " (stopped by the time budget)" : "")}, {result.TokensPerSecond:F0} tok/s");
            Console.WriteLine($"  epoch mean losses: {string.Join(" ", result.EpochMeanLosses.Select(l => l.ToString("F3")))}");
            Console.WriteLine($"  eval answer exact match:   {correct}/{eval.Count} = {(double)correct / eval.Count:P1}");
            Console.WriteLine($"  eval response exact match: {exact}/{eval.Count} = {(double)exact / eval.Count:P1}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The bundled format: longer operand 1–2 (easy), 3 (medium) or 4–5 (hard) digits, equally often.</summary>
    static (string Prompt, string Response, string Answer) Addition(Random rng)
    {
        int longer = rng.Next(3) switch { 0 => rng.Next(1, 3), 1 => 3, _ => rng.Next(4, 6) };
        int shorter = rng.Next(1, longer + 1);
        long x = Number(rng, longer), y = Number(rng, shorter);
        if (rng.Next(2) == 0) (x, y) = (y, x);
        var lines = new List<string>();
        int carry = 0;
        for (long p = x, q = y; p > 0 || q > 0 || lines.Count == 0; p /= 10, q /= 10)
        {
            int dp = (int)(p % 10), dq = (int)(q % 10), sum = dp + dq + carry;
            lines.Add($"{dp}+{dq}+{carry}={sum}");
            carry = sum / 10;
        }
        var answer = (x + y).ToString();
        return ($"Q: {x}+{y}\n", string.Join("\n", lines) + $"\n#### {answer}", answer);
    }

    static long Number(Random rng, int digits)
    {
        if (digits == 1) return rng.Next(0, 10);
        long v = rng.Next(1, 10);
        for (int i = 1; i < digits; i++) v = v * 10 + rng.Next(0, 10);
        return v;
    }

    static string FinalAnswer(string output)
    {
        int i = output.LastIndexOf("#### ", StringComparison.Ordinal);
        return i < 0 ? "" : output[(i + 5)..].Trim();
    }

    sealed class Progress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
