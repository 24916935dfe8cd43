using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Generation;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Trainer.Tests;

public class TrainerTests : IDisposable
{
    public void Dispose() => TestData.CleanUp();

    static TrainOptions Options(string outDir, int epochs = 2, ObjectiveOptions? objective = null, bool resume = false,
        int saveEvery = 0, bool trajectories = true, List<TrainExample>? data = null) => new()
    {
        Examples = data ?? TestData.Addition(),
        OutDir = outDir,
        Preset = "tiny",
        Epochs = epochs,
        BatchSize = 16,
        Objective = objective ?? ObjectiveOptions.Ce,
        Resume = resume,
        SaveEverySteps = saveEvery,
        RecordTrajectories = trajectories,
        Threads = 1,
        Seed = 42,
    };

    sealed class Recorder(Action<TrainProgress>? onReport = null) : IProgress<TrainProgress>
    {
        public readonly List<TrainProgress> Reports = [];
        public void Report(TrainProgress value) { Reports.Add(value); onReport?.Invoke(value); }
        public double[] Losses => Reports.Where(r => r.Phase == "train").Select(r => r.Loss).ToArray();
    }

    static Dictionary<string, NamedTensor> Weights(string dir) => SafeTensors.Read(Path.Combine(dir, Checkpoint.WeightsFile));

    [Fact]
    public void Tiny_learns_single_digit_addition()
    {
        var result = SftTrainer.Run(new TrainOptions
        {
            Examples = TestData.Addition(), OutDir = TestData.TempDir(), Preset = "tiny", Epochs = 30, BatchSize = 10, Threads = 1, Seed = 1,
            RecordTrajectories = false, LearningRate = 3e-3, WarmupSteps = 20,
        });
        Assert.True(result.EpochMeanLosses[^1] < 0.3, $"final epoch loss {result.EpochMeanLosses[^1]}");
        Assert.True(result.EpochMeanLosses[^1] < result.EpochMeanLosses[0] / 5);
        var (model, tok) = Checkpoint.Load(result.CheckpointDir);
        using var _ = model;
        var examples = TestData.Addition();
        var outputs = ReferenceGenerator.Greedy(model, tok, examples.Select(e => e.Prompt).ToList(), 4);
        int correct = examples.Zip(outputs).Count(p => p.First.Response == p.Second);
        Assert.True(correct >= 95, $"{correct}/100 exact"); // chance is ~10/100
    }

    [Fact]
    public void Same_seed_gives_identical_losses()
    {
        var a = new Recorder();
        var b = new Recorder();
        SftTrainer.Run(Options(TestData.TempDir(), trajectories: false), a);
        SftTrainer.Run(Options(TestData.TempDir(), trajectories: false), b);
        Assert.Equal(a.Losses, b.Losses);
        Assert.True(a.Losses.Length > 5);
        var c = new Recorder();
        SftTrainer.Run(Options(TestData.TempDir(), trajectories: false) is var o ? new TrainOptions
        {
            Examples = o.Examples, OutDir = o.OutDir, Preset = "tiny", Epochs = o.Epochs, BatchSize = o.BatchSize, Threads = 1, Seed = 43,
            RecordTrajectories = false,
        } : null!, c);
        Assert.NotEqual(a.Losses, c.Losses);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Killed_run_resumed_reaches_the_same_weights(bool targetSft)
    {
        var objective = targetSft ? ObjectiveOptions.TargetSftModelProb : ObjectiveOptions.Ce;
        var straightDir = TestData.TempDir();
        var straight = SftTrainer.Run(Options(straightDir, epochs: 3, objective));

        // Save every 4 steps, "kill" after step 10 (last save at 8: two steps are lost and redone).
        var killedDir = TestData.TempDir();
        using var cts = new CancellationTokenSource();
        var rec = new Recorder(p => { if (p.Step == 10) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => SftTrainer.Run(Options(killedDir, epochs: 3, objective, saveEvery: 4), rec, cts.Token));
        Assert.Equal(8, TrainerState.Load(Path.Combine(killedDir, SftTrainer.CheckpointFolder, Checkpoint.StateFile)).GlobalStep);

        var resumed = SftTrainer.Run(Options(killedDir, epochs: 3, objective, resume: true, saveEvery: 4));
        Assert.Equal(straight.GlobalSteps, resumed.GlobalSteps);
        var a = Weights(straight.CheckpointDir);
        var b = Weights(resumed.CheckpointDir);
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (name, t) in a)
        {
            var u = b[name].Data;
            double maxDiff = t.Data.Select((x, i) => (double)Math.Abs(x - u[i])).Max();
            Assert.True(maxDiff <= 1e-5, $"{name} differs by {maxDiff}");
        }
        // The resumed run also recorded one trajectory part per epoch.
        Assert.Equal(3, PartFiles.ListParts(Path.Combine(killedDir, SftTrainer.TrajectoriesFolder)).Count);
    }

    [Fact]
    public void Max_steps_stops_saves_and_a_resume_finishes_like_a_straight_run()
    {
        var straight = SftTrainer.Run(Options(TestData.TempDir(), epochs: 2, trajectories: false));
        var dir = TestData.TempDir();
        var first = SftTrainer.Run(new TrainOptions
        {
            Examples = TestData.Addition(), OutDir = dir, Preset = "tiny", Epochs = 2, BatchSize = 16, Threads = 1, Seed = 42,
            RecordTrajectories = false, MaxSteps = 5,
        });
        Assert.True(first.StoppedAtLimit);
        Assert.Equal(5, first.GlobalSteps);
        var rest = SftTrainer.Run(Options(dir, epochs: 2, resume: true, trajectories: false));
        Assert.False(rest.StoppedAtLimit);
        Assert.Equal(straight.EpochMeanLosses, rest.EpochMeanLosses);
        var a = Weights(straight.CheckpointDir);
        var b = Weights(rest.CheckpointDir);
        Assert.All(a, kv => Assert.Equal(kv.Value.Data, b[kv.Key].Data));
    }

    [Fact]
    public void Loading_a_folder_that_is_not_a_checkpoint_names_the_missing_file()
    {
        var dir = TestData.TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains(dir, e.Message);
    }

    [Fact]
    public void Weights_of_the_wrong_shape_are_rejected_with_the_tensor_name()
    {
        var dir = TestData.TempDir();
        var result = SftTrainer.Run(Options(dir, epochs: 1, trajectories: false));
        var config = LlamaConfig.Load(Path.Combine(result.CheckpointDir, "config.json"));
        config.IntermediateSize += 8;
        config.Save(Path.Combine(result.CheckpointDir, "config.json"));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(result.CheckpointDir));
        Assert.Contains("mlp", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void Existing_checkpoint_without_resume_is_refused()
    {
        var dir = TestData.TempDir();
        SftTrainer.Run(Options(dir, epochs: 1, trajectories: false));
        var e = Assert.Throws<InvalidOperationException>(() => SftTrainer.Run(Options(dir, epochs: 1, trajectories: false)));
        Assert.Contains("--resume", e.Message);
        // Resume with different data is refused rather than silently mixing runs.
        var other = TestData.Addition().Take(50).ToList();
        Assert.Throws<InvalidOperationException>(() => SftTrainer.Run(Options(dir, epochs: 1, resume: true, trajectories: false, data: other)));
    }

    [Fact]
    public void Resuming_a_finished_run_is_a_no_op_that_succeeds()
    {
        // A cycle killed right after the final checkpoint was saved resumes the finished stage: that must not fail or retrain.
        var dir = TestData.TempDir();
        var first = SftTrainer.Run(Options(dir, epochs: 1, trajectories: false));
        var weights = File.ReadAllBytes(Path.Combine(first.CheckpointDir, Checkpoint.WeightsFile));
        var logLines = File.ReadAllLines(first.RunLogPath).Length;
        var again = SftTrainer.Run(Options(dir, epochs: 1, resume: true, trajectories: false));
        Assert.Equal(first.GlobalSteps, again.GlobalSteps);
        Assert.Equal(first.EpochMeanLosses, again.EpochMeanLosses);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(again.CheckpointDir, Checkpoint.WeightsFile)));
        Assert.Equal(logLines, File.ReadAllLines(first.RunLogPath).Length);
        // Every line of the run log is valid JSON (no NaN or infinity).
        foreach (var line in File.ReadAllLines(first.RunLogPath)) System.Text.Json.Nodes.JsonNode.Parse(line);
    }

    [Fact]
    public async Task Trajectories_have_one_row_per_example_per_epoch()
    {
        var dir = TestData.TempDir();
        var result = SftTrainer.Run(Options(dir, epochs: 3));
        var rows = await PartFiles.ReadAllAsync<TrajectoryRow>(result.TrajectoriesDir!);
        Assert.Equal(3 * 100, rows.Count);
        foreach (var g in rows.GroupBy(r => r.Epoch))
        {
            Assert.Equal(100, g.Select(r => r.ExampleId).Distinct().Count());
            Assert.Single(g.Select(r => r.GlobalStep).Distinct());
        }
        Assert.Equal(new[] { 1, 2, 3 }, rows.Select(r => r.Epoch).Distinct().OrderBy(x => x));
        Assert.All(rows, r =>
        {
            Assert.True(r.MeanTokenLoss > 0 && double.IsFinite(r.MeanTokenLoss));
            Assert.InRange(r.MeanTokenProb, 0, 1);
            Assert.Equal(r.ExampleId.Split('-') is [_, var a, var b] ? (int.Parse(a) + int.Parse(b)).ToString().Length + 1 : -1, r.ResponseTokens);
        });
        // Learning shows: mean loss falls from epoch 1 to 3.
        double Mean(int e) => rows.Where(r => r.Epoch == e).Average(r => r.MeanTokenLoss);
        Assert.True(Mean(3) < Mean(1));
        // The run log reports the recording cost as a share of epoch time.
        var epochLines = File.ReadAllLines(result.RunLogPath).Where(l => l.Contains("\"event\":\"epoch\"")).ToList();
        Assert.Equal(3, epochLines.Count);
        Assert.All(epochLines, l => Assert.Contains("trajectory_share", l));
    }

    [Fact]
    public async Task Trajectories_every_n_steps_add_mid_epoch_parts()
    {
        var dir = TestData.TempDir();
        // 100 examples, batch 16 → 7 steps per epoch; every 3 steps → steps 3, 6, 9, 12 plus epoch ends 7 and 14.
        var result = SftTrainer.Run(new TrainOptions
        {
            Examples = TestData.Addition(), OutDir = dir, Preset = "tiny", Epochs = 2, BatchSize = 16, Threads = 1, TrajectoryEverySteps = 3,
        });
        var rows = await PartFiles.ReadAllAsync<TrajectoryRow>(result.TrajectoriesDir!);
        var recordings = rows.GroupBy(r => (r.Epoch, r.GlobalStep)).Select(g => (g.Key, Count: g.Count())).OrderBy(x => x.Key.GlobalStep).ToList();
        Assert.Equal(new[] { (0, 3L), (0, 6L), (1, 7L), (1, 9L), (1, 12L), (2, 14L) }, recordings.Select(r => (r.Key.Epoch, r.Key.GlobalStep)));
        Assert.All(recordings, r => Assert.Equal(100, r.Count));
        Assert.Equal(6, PartFiles.ListParts(result.TrajectoriesDir!).Count);
    }

    [Fact]
    public async Task Trajectory_loss_matches_a_direct_computation()
    {
        var dir = TestData.TempDir();
        var result = SftTrainer.Run(Options(dir, epochs: 1));
        var rows = (await PartFiles.ReadAllAsync<TrajectoryRow>(result.TrajectoriesDir!)).ToDictionary(r => r.ExampleId);
        var (model, tok) = Checkpoint.Load(result.CheckpointDir);
        using var _ = model;
        // One example alone, unbatched: mean over its response tokens of −log p.
        var ex = TestData.Addition()[37];
        var data = Batching.Tokenize([ex], tok, 128, "t");
        using var batch = Batching.Build(data, [0], tok.PadId);
        using var logits = model.forward(batch.Inputs);
        var (loss, prob, count) = Objectives.PerRowStats(logits, batch.Targets, batch.LossMask);
        Assert.Equal(loss[0], rows[ex.Id].MeanTokenLoss, 4);
        Assert.Equal(prob[0], rows[ex.Id].MeanTokenProb, 4);
    }

    [Fact]
    public void Memory_stays_flat_over_many_steps()
    {
        var counts = new List<long>();
        var rss = new List<long>();
        var rec = new Recorder(p =>
        {
            if (p.Phase != "train") return;
            counts.Add(TorchSharp.torch.Tensor.TotalCount);
            rss.Add(Environment.WorkingSet);
        });
        SftTrainer.Run(new TrainOptions
        {
            Examples = TestData.Addition(), OutDir = TestData.TempDir(), Preset = "tiny", Epochs = 20, BatchSize = 10,
            Threads = 1, RecordTrajectories = true, TrajectoryEverySteps = 50,
        }, rec);
        Assert.Equal(200, counts.Count);
        // After warm-up every step ends with the same live tensors (parameters, grads, optimizer moments).
        var settled = counts.Skip(20).ToArray();
        Assert.True(settled.Max() - settled.Min() <= 2, $"live tensors ranged {settled.Min()}..{settled.Max()}");
        long growthMb = (rss[^1] - rss[50]) / (1 << 20);
        Assert.True(growthMb < 64, $"RSS grew {growthMb} MB over 150 steps");
    }

    [Fact]
    public void Checkpoint_round_trip_gives_identical_logits_and_hf_names()
    {
        var dir = TestData.TempDir();
        var result = SftTrainer.Run(Options(dir, epochs: 1, trajectories: false));
        var (a, tok) = Checkpoint.Load(result.CheckpointDir);
        using var _a = a;
        var again = Path.Combine(TestData.TempDir(), "copy");
        Checkpoint.Save(again, a, tok);
        var (b, _) = Checkpoint.Load(again);
        using var _b = b;
        using var ids = TorchSharp.torch.tensor(new long[] { 256, 49, 43, 50, 61 }, new long[] { 1, 5 });
        using var la = a.forward(ids);
        using var lb = b.forward(ids);
        Assert.True(la.eq(lb).all().item<bool>());
        foreach (var f in new[] { "model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(again, f)), f);
        var names = Weights(again).Keys.ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", names);
        Assert.DoesNotContain("lm_head.weight", names); // tiny ties embeddings
        var config = LlamaConfig.Load(Path.Combine(again, "config.json"));
        Assert.Equal(a.Config.HiddenSize, config.HiddenSize);
        Assert.True(config.TieWordEmbeddings);
        Assert.IsType<ByteTokenizer>(TokenizerFiles.Load(again));
    }

    [Fact]
    public void Init_starts_from_a_checkpoint()
    {
        var baseRun = SftTrainer.Run(Options(TestData.TempDir(), epochs: 2, trajectories: false));
        var rec = new Recorder();
        var o = Options(TestData.TempDir(), epochs: 1, trajectories: false);
        SftTrainer.Run(new TrainOptions
        {
            Examples = o.Examples, OutDir = o.OutDir, Preset = "tiny", Epochs = 1, BatchSize = 16, Threads = 1, Seed = 42,
            RecordTrajectories = false, InitCheckpoint = baseRun.CheckpointDir,
        }, rec);
        // Continuing from trained weights: the first step's loss is near where the base run ended, far below a fresh start (~ln 259).
        Assert.True(rec.Losses[0] < baseRun.EpochMeanLosses[^1] * 1.2, $"first loss {rec.Losses[0]} vs base final {baseRun.EpochMeanLosses[^1]}");
    }

    [Fact]
    public async Task Training_data_loads_from_sft_and_next_stage_files()
    {
        var sftDir = TestData.TempDir();
        await PartFiles.WritePartAsync(sftDir, 0, new List<SftExample> { new() { Id = "a", Prompt = "1+1=", Response = "2", Task = "add" } });
        var sft = await TrainData.LoadAsync(sftDir);
        Assert.Equal(new TrainExample("a", "1+1=", "2", 1.0), Assert.Single(sft));

        var nextDir = TestData.TempDir();
        await PartFiles.WritePartAsync(nextDir, 0, new List<NextStageRow> { new() { Id = "b", Prompt = "2+2=", Response = "4", Origin = "generated", Weight = 0.5 } });
        var next = await TrainData.LoadAsync(nextDir);
        Assert.Equal(new TrainExample("b", "2+2=", "4", 0.5), Assert.Single(next));

        await Assert.ThrowsAsync<DataContractException>(() => TrainData.LoadAsync(TestData.TempDir()));
    }
}
