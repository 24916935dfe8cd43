using OnnxRftPipeline.Contracts.Models;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// SPIN / IRL-style contrastive SFT (loss in <see cref="SpinLoss"/>) on the <see cref="TrainingLoop"/> SFT also runs on:
/// AdamW, warm-up + cosine, clipping, seeded length-bucketed batches of pairs, resumable checkpoints in OutDir
/// (checkpoint/, run_log.jsonl). The reference model is frozen; because it never changes and a forward has no
/// randomness, its sequence log-probs are computed once before training and the model is then released.
/// </summary>
public static class SpinTrainer
{
    public const string CheckpointFolder = TrainingLoop.CheckpointFolder;
    public const string RunLogFile = TrainingLoop.RunLogFile;

    /// <summary>On a worker thread, like <see cref="SftTrainer.RunAsync"/>: dispose scopes are thread-local.</summary>
    public static Task<SpinResult> RunAsync(SpinOptions options, IProgress<SpinProgress>? progress = null, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(options, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static SpinResult Run(SpinOptions o, IProgress<SpinProgress>? progress = null, CancellationToken ct = default)
    {
        if (!(o.Beta > 0) || !double.IsFinite(o.Beta)) throw new ArgumentException($"--beta {o.Beta} must be a positive number");
        PairData.Validate(o.Pairs, o.PairsSource);
        if (o.Threads is < 1) throw new ArgumentException($"--threads must be >= 1, got {o.Threads}");
        if (o.LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr))) throw new ArgumentException($"--lr must be a positive finite number, got {lr}");
        torch.set_num_threads(o.Threads ?? Environment.ProcessorCount);
        // Checked before the run folder is touched, so a bad value leaves nothing behind.
        var (hp, epochs, batchSize) = TrainingLoop.Defaults(o.Preset, o.Epochs, o.BatchSize);

        var run = new TrainingLoop(o.OutDir, o.Resume);
        var refDir = Checkpoint.Resolve(o.ReferenceCheckpoint);
        if (Path.GetFullPath(refDir) == Path.GetFullPath(Checkpoint.Resolve(run.CheckpointDir)))
            throw new ArgumentException($"--reference {o.ReferenceCheckpoint} is this run's own checkpoint; the reference must stay fixed");

        torch.manual_seed(o.Seed);
        var (model, tok) = Checkpoint.Load(run.Resumed is not null ? run.CheckpointDir : o.InitCheckpoint ?? refDir);
        using var _model = model;

        int n = o.Pairs.Count;
        var data = PairData.Tokenize(o.Pairs, tok, model.Config.ContextLimit, o.PairsSource);
        double[] refLogp;
        using (var reference = LoadReference(refDir, model, tok))
            refLogp = reference.SequenceLogProbs(data, o.EvalBatchSize, tok.PadId);

        var pairLengths = Enumerable.Range(0, n).Select(i => Math.Max(data[i].Ids.Length, data[n + i].Ids.Length)).ToArray();
        int batchesPerEpoch = Batching.EpochBatches(pairLengths, batchSize, o.Seed, 0).Count;
        long totalSteps = (long)batchesPerEpoch * epochs;
        var schedule = new LrSchedule(o.LearningRate ?? hp.LearningRate * SpinOptions.DefaultLearningRateScale, o.WarmupSteps ?? hp.WarmupSteps, totalSteps, o.MinLrRatio ?? hp.MinLrRatio);
        var objective = string.Create(CultureInfo.InvariantCulture, $"spin(beta={o.Beta})");
        var state = run.Continue(new TrainerState
        {
            RunId = o.RunId, Seed = o.Seed, Epochs = epochs, BatchSize = batchSize, GradAccumulation = 1,
            TotalSteps = totalSteps, Objective = objective, DataFingerprint = Fingerprint(data, CheckpointWeights.Open(Checkpoint.Resolve(refDir))),
        }, "the pairs or the reference model differ from the saved run's");
        if (run.IsFinished(state))
            return new SpinResult(run.CheckpointDir, run.Log.Path, state.GlobalStep, state.EpochMeanLosses.ToList(), state.EpochMeanMargins.ToList(),
                state.EpochAccuracies.ToList(), null, null, model.ParameterCount(), state.TrainTokens, 0, 0, StoppedAtLimit: false);

        using var optimizer = SftTrainer.MakeOptimizer(model, o.WeightDecay ?? hp.WeightDecay);
        run.Restore(optimizer);

        SpinMetrics? initial = null;
        if (run.Resumed is null)
            initial = SpinLoss.Summarise(SpinLoss.SequenceLogProbs(model, data, o.EvalBatchSize, tok.PadId), refLogp, n, o.Beta);
        run.Log.Write(run.Resumed is null ? "start" : "resume", new JsonObject
        {
            ["run_id"] = state.RunId, ["pairs"] = n, ["epochs"] = epochs, ["batch_size"] = batchSize, ["total_steps"] = totalSteps,
            ["global_step"] = state.GlobalStep, ["objective"] = objective, ["beta"] = o.Beta, ["reference"] = refDir,
            ["init"] = o.InitCheckpoint ?? refDir, ["parameters"] = model.ParameterCount(), ["threads"] = torch.get_num_threads(),
            ["peak_lr"] = schedule.Peak, ["preset"] = o.Preset,
            ["initial_loss"] = initial?.Loss, ["initial_margin"] = initial?.Margin, ["initial_accuracy"] = initial?.Accuracy,
        });

        // The step's mean margin and ordered pairs, set by its backward for its progress report.
        double stepMargin = 0;
        int correct = 0, pairsInStep = 0;
        run.Run(model, tok, optimizer, state,
            new TrainingLoop.Plan(epochs, totalSteps, GradAccumulation: 1, schedule, o.GradClip ?? hp.GradClip, o.SaveEverySteps, o.MaxSteps, TimeLimit: null),
            new TrainingLoop.Hooks
            {
                EpochBatches = epoch => Batching.EpochBatches(pairLengths, batchSize, o.Seed, epoch),
                Backward = (rows, _) =>
                {
                    int b = pairsInStep = rows.Length;
                    // Chosen and rejected sequences in one forward: rows 0..B-1 chosen, B..2B-1 rejected.
                    using var batch = Batching.Build(data, [.. rows, .. rows.Select(r => n + r)], tok.PadId);
                    var seq = SpinLoss.SequenceLogProbs(model.forward(batch.Inputs), batch.Targets, batch.LossMask);
                    var refChosen = tensor(rows.Select(r => (float)refLogp[r]).ToArray());
                    var refRejected = tensor(rows.Select(r => (float)refLogp[n + r]).ToArray());
                    var policyChosen = seq.narrow(0, 0, b);
                    var policyRejected = seq.narrow(0, b, b);
                    var loss = SpinLoss.PairLosses(policyChosen, policyRejected, refChosen, refRejected, o.Beta).mean();
                    loss.backward();
                    var delta = SpinLoss.Delta(policyChosen, policyRejected, refChosen, refRejected).detach().to(ScalarType.Float64).data<double>().ToArray();
                    stepMargin = delta.Average() * o.Beta;
                    correct = delta.Count(d => d > 0);
                    state.EpochMarginSum += stepMargin * b;
                    state.EpochCorrectPairs += correct;
                    state.EpochPairs += b;
                    return (loss.item<float>(), batch.Tokens);
                },
                AfterStep = (step, _) => progress?.Report(new SpinProgress(step, stepMargin, (double)correct / pairsInStep)),
                EndEpoch = () =>
                {
                    state.EpochMeanMargins.Add(state.EpochPairs > 0 ? state.EpochMarginSum / state.EpochPairs : double.NaN);
                    state.EpochAccuracies.Add(state.EpochPairs > 0 ? (double)state.EpochCorrectPairs / state.EpochPairs : double.NaN);
                    state.EpochMarginSum = 0;
                    state.EpochCorrectPairs = 0;
                    state.EpochPairs = 0;
                },
                EpochLog = (line, _) =>
                {
                    line["mean_reward_margin"] = state.EpochMeanMargins[^1];
                    line["accuracy"] = state.EpochAccuracies[^1];
                },
            }, ct);

        // Over every pair with the final weights: the numbers the run is judged by (the epoch means mix weights over the epoch).
        SpinMetrics? final = null;
        if (!run.StoppedAtLimit)
            final = SpinLoss.Summarise(SpinLoss.SequenceLogProbs(model, data, o.EvalBatchSize, tok.PadId), refLogp, n, o.Beta);
        run.WriteEnd(state, new JsonObject { ["final_loss"] = final?.Loss, ["final_margin"] = final?.Margin, ["final_accuracy"] = final?.Accuracy });
        return new SpinResult(run.CheckpointDir, run.Log.Path, state.GlobalStep, state.EpochMeanLosses.ToList(), state.EpochMeanMargins.ToList(),
            state.EpochAccuracies.ToList(), initial, final, model.ParameterCount(), state.TrainTokens, run.TokensPerSecond, run.Seconds, run.StoppedAtLimit);
    }

    /// <summary>Loads πref and checks it speaks the policy's language (same vocabulary and special tokens).</summary>
    static FrozenReference LoadReference(string refDir, LlamaForCausalLM policy, ITokenizer tok)
    {
        var (reference, refTok) = Checkpoint.Load(refDir);
        var frozen = new FrozenReference(reference);
        if (reference.Config.VocabSize != policy.Config.VocabSize || refTok.VocabSize != tok.VocabSize
            || (refTok.BosId, refTok.EosId, refTok.PadId) != (tok.BosId, tok.EosId, tok.PadId))
        {
            frozen.Dispose();
            throw new InvalidDataException($"{refDir}: the reference model's vocabulary ({reference.Config.VocabSize}) or special tokens differ from the policy's ({policy.Config.VocabSize})");
        }
        return frozen;
    }

    /// <summary>Identifies the tokenized pairs and the reference weights, so a resume against other ones is refused.</summary>
    static string Fingerprint(IReadOnlyList<TokenizedExample> data, CheckpointWeights referenceWeights)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in data)
        {
            h.AppendData(Encoding.UTF8.GetBytes(e.Id));
            h.AppendData(BitConverter.GetBytes(e.ResponseStart));
            foreach (var id in e.Ids) h.AppendData(BitConverter.GetBytes(id));
        }
        h.AppendData(Convert.FromHexString(referenceWeights.ContentSha256()));
        return Convert.ToHexString(h.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
