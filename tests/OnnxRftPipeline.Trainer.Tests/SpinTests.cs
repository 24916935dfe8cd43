using System.Security.Cryptography;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using OnnxRftPipeline.Trainer.Training;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Tests;

/// <summary>SPIN: the loss and its gradient against hand computations, a frozen reference, and a short run that learns.</summary>
public class SpinTests : IDisposable
{
    public void Dispose() => TestData.CleanUp();

    static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void Loss_and_its_gradient_equal_the_closed_form(double beta)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var pc = (randn(5, dtype: ScalarType.Float64) * 4 - 10).requires_grad_(true);
        var pr = (randn(5, dtype: ScalarType.Float64) * 4 - 10).requires_grad_(true);
        var rc = randn(5, dtype: ScalarType.Float64) * 4 - 10;
        var rr = randn(5, dtype: ScalarType.Float64) * 4 - 10;
        var losses = SpinLoss.PairLosses(pc, pr, rc, rr, beta);
        losses.sum().backward();
        double[] Arr(Tensor t) => t.detach().data<double>().ToArray();
        var (a, b, c, d, l) = (Arr(pc), Arr(pr), Arr(rc), Arr(rr), Arr(losses));
        var gc = Arr(pc.grad!);
        var gr = Arr(pr.grad!);
        for (int i = 0; i < 5; i++)
        {
            double delta = (a[i] - c[i]) - (b[i] - d[i]);
            Assert.Equal(-Math.Log(Sigmoid(beta * delta)), l[i], 12);
            // dℓ/dΔ = −β·σ(−βΔ); Δ rises with the chosen log-prob and falls with the rejected one.
            Assert.Equal(-beta * Sigmoid(-beta * delta), gc[i], 12);
            Assert.Equal(beta * Sigmoid(-beta * delta), gr[i], 12);
        }
        // The reference side carries no gradient path (plain tensors, as the trainer passes them).
        Assert.False(rc.requires_grad);
        // Large |βΔ| stays finite (logsigmoid, not log(sigmoid)).
        var big = SpinLoss.PairLosses(tensor(new[] { -5000.0, 5000.0 }), tensor(new[] { 0.0, 0.0 }), tensor(new[] { 0.0, 0.0 }), tensor(new[] { 0.0, 0.0 }), 1.0);
        Assert.Equal(5000.0, big[0].item<double>(), 9);
        Assert.Equal(0.0, big[1].item<double>(), 9);
    }

    [Fact]
    public void Sequence_log_prob_sums_response_tokens_only_and_its_logit_gradient_is_closed_form()
    {
        using var scope = NewDisposeScope();
        const double beta = 0.5;
        manual_seed(12);
        const int T = 4, V = 7;
        var logits = (randn(2, T, V, dtype: ScalarType.Float64) * 2).requires_grad_(true); // row 0 chosen, row 1 rejected
        var targets = tensor(new long[] { 1, 2, 3, 4, 5, 6, 0, 1 }, new long[] { 2, T });
        var mask = tensor(new double[] { 0, 1, 1, 0, 0, 0, 1, 1 }, new long[] { 2, T });
        var seq = SpinLoss.SequenceLogProbs(logits, targets, mask);
        var logp = logits.detach().log_softmax(-1);
        double Lp(int r, int t) => logp[r, t, targets[r, t].item<long>()].item<double>();
        Assert.Equal(Lp(0, 1) + Lp(0, 2), seq[0].item<double>(), 12);
        Assert.Equal(Lp(1, 2) + Lp(1, 3), seq[1].item<double>(), 12);

        var rc = tensor(new[] { -3.0 });
        var rr = tensor(new[] { -4.0 });
        SpinLoss.PairLosses(seq.narrow(0, 0, 1), seq.narrow(0, 1, 1), rc, rr, beta).sum().backward();
        double delta = (seq[0].item<double>() + 3.0) - (seq[1].item<double>() + 4.0);
        double g = -beta * Sigmoid(-beta * delta);
        // d/dlogits of Σ mask·log p_target = mask·(onehot − p); chosen row scaled by dℓ/dΔ, rejected by −dℓ/dΔ.
        var p = logits.detach().softmax(-1);
        var oneHot = nn.functional.one_hot(targets, V).to(ScalarType.Float64);
        var sign = tensor(new[] { 1.0, -1.0 }).reshape(2, 1, 1);
        var expected = g * sign * mask.unsqueeze(-1) * (oneHot - p);
        Assert.True(logits.grad!.allclose(expected, rtol: 0, atol: 1e-12));
        // Prompt positions (mask 0) get exactly zero gradient.
        Assert.Equal(0.0, logits.grad![0, 0].abs().max().item<double>());
    }

    static List<TrainPair> AdditionPairs() =>
        (from a in Enumerable.Range(0, 10) from b in Enumerable.Range(0, 10)
         select new TrainPair($"add-{a}-{b}", $"{a}+{b}=", (a + b).ToString(), (a + b + 1 + (a % 3)).ToString())).ToList();

    /// <summary>A seeded random tiny model saved as a checkpoint: the reference (and the policy's start).</summary>
    static string ReferenceCheckpoint(int seed = 5)
    {
        manual_seed(seed);
        using var m = new LlamaForCausalLM(TestData.Tiny());
        var dir = Path.Combine(TestData.TempDir(), "ref");
        Checkpoint.Save(dir, m, new ByteTokenizer());
        return dir;
    }

    static Dictionary<string, float[]> Snapshot(LlamaForCausalLM m) => ModelWeights.ToNamedTensors(m).ToDictionary(t => t.Name, t => t.Data);

    [Fact]
    public void Reference_weights_stay_bit_identical_get_no_gradients_and_are_not_in_the_optimizer()
    {
        using var outer = NewDisposeScope();
        var refDir = ReferenceCheckpoint();
        var (policy, tok) = Checkpoint.Load(refDir);
        using var _p = policy;
        using var reference = new FrozenReference(Checkpoint.Load(refDir).Model);
        var before = Snapshot(reference.Model);
        var policyBefore = Snapshot(policy);
        Assert.All(reference.Model.parameters(), q => Assert.False(q.requires_grad));

        using var optimizer = SftTrainer.MakeOptimizer(policy, 0.0);
        var refHandles = reference.Model.parameters().Select(q => q.Handle).ToHashSet();
        var optimized = optimizer.parameters().ToList();
        Assert.Equal(policy.parameters().Count(), optimized.Count);
        Assert.DoesNotContain(optimized, q => refHandles.Contains(q.Handle));

        var pairs = AdditionPairs().Take(16).ToList();
        var data = PairData.Tokenize(pairs, tok, 128, "t");
        int n = pairs.Count;
        int[] rows = [.. Enumerable.Range(0, n), .. Enumerable.Range(n, n)];
        policy.train();
        var losses = new List<double>();
        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            using var batch = Batching.Build(data, rows, tok.PadId);
            // The reference recomputed every step here (the trainer caches it): a real forward through the frozen model each time.
            var refSeq = reference.SequenceLogProbs(batch);
            Assert.False(refSeq.requires_grad);
            var seq = SpinLoss.SequenceLogProbs(policy.forward(batch.Inputs), batch.Targets, batch.LossMask);
            var loss = SpinLoss.PairLosses(seq.narrow(0, 0, n), seq.narrow(0, n, n), refSeq.narrow(0, 0, n), refSeq.narrow(0, n, n), 0.1).mean();
            loss.backward();
            Assert.All(reference.Model.parameters(), q => Assert.True(q.grad is null || q.grad.abs().sum().item<float>() == 0));
            Assert.Contains(policy.parameters(), q => q.grad is not null && q.grad.abs().sum().item<float>() > 0);
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        var after = Snapshot(reference.Model);
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));                       // bit-identical
        Assert.Contains(policyBefore, kv => !kv.Value.SequenceEqual(Snapshot(policy)[kv.Key])); // while the policy moved
        Assert.Equal(Math.Log(2), losses[0], 4);   // policy = reference at step 0: Δ = 0
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]} → {losses[^1]}");
    }

    static SpinOptions Options(string refDir, string outDir, int epochs = 3, bool resume = false, int saveEvery = 0, long? maxSteps = null) => new()
    {
        Pairs = AdditionPairs(), ReferenceCheckpoint = refDir, OutDir = outDir, Preset = "tiny", Epochs = epochs, BatchSize = 16,
        Threads = 1, Seed = 3, Resume = resume, SaveEverySteps = saveEvery, MaxSteps = maxSteps,
    };

    static string FolderHash(string dir)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            h.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f)));
            h.AppendData(File.ReadAllBytes(f));
        }
        return Convert.ToHexString(h.GetHashAndReset());
    }

    sealed class Recorder(Action<SpinProgress>? on = null) : IProgress<SpinProgress>
    {
        public readonly List<SpinProgress> Reports = [];
        public void Report(SpinProgress value) { Reports.Add(value); on?.Invoke(value); }
    }

    [Fact]
    public void The_default_learning_rate_is_a_tenth_of_the_presets_sft_rate()
    {
        var r = SpinTrainer.Run(Options(ReferenceCheckpoint(), TestData.TempDir(), epochs: 1, maxSteps: 1));
        var start = File.ReadLines(r.RunLogPath).First();
        var peak = System.Text.Json.JsonDocument.Parse(start).RootElement.GetProperty("peak_lr").GetDouble();
        Assert.Equal(Presets.DefaultHyperparameters("tiny").LearningRate * 0.1, peak, 12);
    }

    [Fact]
    public void A_short_run_lowers_the_loss_raises_the_margin_and_leaves_the_reference_untouched()
    {
        var refDir = ReferenceCheckpoint();
        var refHash = FolderHash(refDir);
        // Tensors other tests left to the finalizer would otherwise be freed mid-run and blur the count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var tensorCounts = new List<long>();
        var rec = new Recorder(_ => tensorCounts.Add(Tensor.TotalCount));
        // At the SFT rate, so 84 tiny steps move visibly; the default (a tenth of it) is checked below.
        var sftRate = Presets.DefaultHyperparameters("tiny").LearningRate;
        var o = Options(refDir, TestData.TempDir(), epochs: 12);
        var r = SpinTrainer.Run(new SpinOptions
        {
            Pairs = o.Pairs, ReferenceCheckpoint = o.ReferenceCheckpoint, OutDir = o.OutDir, Preset = o.Preset, Epochs = o.Epochs,
            BatchSize = o.BatchSize, Threads = o.Threads, Seed = o.Seed, LearningRate = sftRate,
        }, rec);
        Assert.Contains($"\"peak_lr\":{sftRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}", File.ReadAllText(r.RunLogPath));

        Assert.Equal(refHash, FolderHash(refDir));
        Assert.Equal(12 * 7, r.GlobalSteps); // 100 pairs, 16 per step
        Assert.NotNull(r.Initial);
        Assert.NotNull(r.Final);
        // The policy starts as the reference: Δ = 0 for every pair, so loss log 2 and margin 0.
        Assert.Equal(Math.Log(2), r.Initial!.Loss, 6);
        Assert.Equal(0, r.Initial.Margin, 6);
        Assert.True(r.Final!.Loss < r.Initial.Loss - 0.05, $"loss {r.Initial.Loss} → {r.Final.Loss}");
        Assert.True(r.Final.Margin > 0.1, $"margin {r.Final.Margin}");
        // Ties count as wrong, so the start is 0; chance for a random ordering would be 0.5.
        Assert.Equal(0, r.Initial.Accuracy);
        Assert.True(r.Final.Accuracy > 0.6, $"accuracy {r.Final.Accuracy}");
        Assert.True(r.EpochMeanLosses[^1] < r.EpochMeanLosses[0]);
        Assert.Equal(12, r.EpochAccuracies.Count);

        // The run log carries the metrics; the policy checkpoint moved away from the reference.
        var logText = File.ReadAllText(r.RunLogPath);
        Assert.Contains("\"mean_reward_margin\"", logText);
        Assert.Contains("\"final_accuracy\"", logText);
        var refW = SafeTensors.Read(Path.Combine(refDir, Checkpoint.WeightsFile));
        var polW = SafeTensors.Read(Path.Combine(r.CheckpointDir, Checkpoint.WeightsFile));
        Assert.Contains(refW, kv => !kv.Value.Data.SequenceEqual(polW[kv.Key].Data));

        // Memory stays flat: every step ends with the same live tensors once AdamW's moments exist.
        var settled = tensorCounts.Skip(3).ToArray();
        Assert.True(settled.Max() - settled.Min() <= 2, $"live tensors ranged {settled.Min()}..{settled.Max()}");
    }

    [Fact]
    public void Same_seed_same_losses_and_a_stopped_run_resumes_to_the_same_weights()
    {
        var refDir = ReferenceCheckpoint();
        var a = new Recorder();
        var straight = SpinTrainer.Run(Options(refDir, TestData.TempDir(), epochs: 2), a);
        var b = new Recorder();
        SpinTrainer.Run(Options(refDir, TestData.TempDir(), epochs: 2), b);
        Assert.Equal(a.Reports.Select(x => x.Train.Loss), b.Reports.Select(x => x.Train.Loss));

        var dir = TestData.TempDir();
        var first = SpinTrainer.Run(Options(refDir, dir, epochs: 2, maxSteps: 9));
        Assert.True(first.StoppedAtLimit);
        Assert.Null(first.Final);
        Assert.Throws<InvalidOperationException>(() => SpinTrainer.Run(Options(refDir, dir, epochs: 2)));   // needs --resume
        var rest = SpinTrainer.Run(Options(refDir, dir, epochs: 2, resume: true));
        Assert.Equal(straight.GlobalSteps, rest.GlobalSteps);
        Assert.Equal(straight.EpochMeanLosses, rest.EpochMeanLosses);
        Assert.Equal(straight.Final, rest.Final);
        var x = SafeTensors.Read(Path.Combine(straight.CheckpointDir, Checkpoint.WeightsFile));
        var y = SafeTensors.Read(Path.Combine(rest.CheckpointDir, Checkpoint.WeightsFile));
        Assert.All(x, kv => Assert.Equal(kv.Value.Data, y[kv.Key].Data));

        // Resuming against another reference is refused rather than silently mixing runs.
        var other = ReferenceCheckpoint(seed: 6);
        var e = Assert.Throws<InvalidOperationException>(() => SpinTrainer.Run(Options(other, dir, epochs: 2, resume: true)));
        Assert.Contains("reference", e.Message);
    }

    [Fact]
    public async Task Pairs_load_from_parquet_and_bad_rows_are_named()
    {
        var dir = TestData.TempDir();
        await PartFiles.WritePartAsync(dir, 0, new List<PairRow> { new() { Id = "p1", PromptId = "a", Prompt = "1+1=", Chosen = "2", Rejected = "3" } });
        await PartFiles.WritePartAsync(dir, 1, new List<PairRow>
        {
            new() { Id = "p2", PromptId = "b", Prompt = "2+2=", Chosen = "4", Rejected = "5" },
            new() { Id = "p3", PromptId = "c", Prompt = "3+3=", Chosen = "6", Rejected = "6" },
        });
        var e = await Assert.ThrowsAsync<DataContractException>(() => PairData.LoadAsync(dir));
        Assert.Contains("part-00001.parquet: row 1", e.Message);
        Assert.Contains("'p3'", e.Message);

        var good = TestData.TempDir();
        await PartFiles.WritePartAsync(good, 0, new List<PairRow> { new() { Id = "p1", PromptId = "a", Prompt = "1+1=", Chosen = "2", Rejected = "3" } });
        Assert.Equal(new TrainPair("p1", "1+1=", "2", "3"), Assert.Single(await PairData.LoadAsync(good)));
        // SFT examples are not pairs: the schema check names the missing column.
        var sft = TestData.TempDir();
        await PartFiles.WritePartAsync(sft, 0, new List<SftExample> { new() { Id = "a", Prompt = "1+1=", Response = "2", Task = "add" } });
        var wrong = await Assert.ThrowsAsync<DataContractException>(() => PairData.LoadAsync(sft));
        Assert.Contains("chosen", wrong.Message);
    }

    [Fact]
    public void Bad_beta_is_rejected()
    {
        var refDir = ReferenceCheckpoint();
        Assert.Throws<ArgumentException>(() => SpinTrainer.Run(new SpinOptions { Pairs = AdditionPairs(), ReferenceCheckpoint = refDir, OutDir = TestData.TempDir(), Beta = 0 }));
    }
}
