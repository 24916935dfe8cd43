using System.Diagnostics;
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
/// SPIN / IRL-style contrastive SFT (loss in <see cref="SpinLoss"/>) with the SFT trainer's machinery: AdamW,
/// warm-up + cosine, clipping, seeded length-bucketed batches of pairs, resumable checkpoints in OutDir
/// (checkpoint/, run_log.jsonl). The reference model is frozen; because it never changes and a forward has no
/// randomness, its sequence log-probs are computed once before training and the model is then released.
/// </summary>
public static class SpinTrainer
{
    public const string CheckpointFolder = SftTrainer.CheckpointFolder;
    public const string RunLogFile = SftTrainer.RunLogFile;

    /// <summary>On a worker thread, like <see cref="SftTrainer.RunAsync"/>: dispose scopes are thread-local.</summary>
    public static Task<SpinResult> RunAsync(SpinOptions options, IProgress<SpinProgress>? progress = null, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(options, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static SpinResult Run(SpinOptions o, IProgress<SpinProgress>? progress = null, CancellationToken ct = default)
    {
        if (!(o.Beta > 0) || !double.IsFinite(o.Beta)) throw new ArgumentException($"--beta {o.Beta} must be a positive number");
        PairData.Validate(o.Pairs, o.PairsSource);
        torch.set_num_threads(o.Threads ?? Environment.ProcessorCount);

        var outDir = Path.GetFullPath(o.OutDir);
        Directory.CreateDirectory(outDir);
        var ckptDir = Path.Combine(outDir, CheckpointFolder);
        var statePath = Path.Combine(Checkpoint.Resolve(ckptDir), Checkpoint.StateFile);
        var log = new RunLog(Path.Combine(outDir, RunLogFile));
        TrainerState? resumed = null;
        if (File.Exists(statePath))
        {
            if (!o.Resume)
                throw new InvalidOperationException($"{outDir} already holds a training checkpoint; pass --resume to continue it or choose an empty folder.");
            resumed = TrainerState.Load(statePath);
        }
        var refDir = Checkpoint.Resolve(o.ReferenceCheckpoint);
        if (Path.GetFullPath(refDir) == Path.GetFullPath(Checkpoint.Resolve(ckptDir)))
            throw new ArgumentException($"--reference {o.ReferenceCheckpoint} is this run's own checkpoint; the reference must stay fixed");

        torch.manual_seed(o.Seed);
        var (model, tok) = Checkpoint.Load(resumed is not null ? ckptDir : o.InitCheckpoint ?? refDir);
        using var _model = model;
        var hp = Presets.DefaultHyperparameters(Presets.Names.Contains(o.Preset) ? o.Preset : "small");
        int epochs = o.Epochs ?? hp.Epochs;
        int batchSize = o.BatchSize ?? hp.BatchSize;
        if (epochs < 1) throw new ArgumentException($"epochs {epochs} must be ≥ 1");
        if (batchSize < 1) throw new ArgumentException($"batch size {batchSize} must be ≥ 1");

        int n = o.Pairs.Count;
        var data = PairData.Tokenize(o.Pairs, tok, model.Config.MaxPositionEmbeddings, o.PairsSource);
        double[] refLogp;
        using (var reference = LoadReference(refDir, model, tok))
            refLogp = reference.SequenceLogProbs(data, o.EvalBatchSize, tok.PadId);

        var pairLengths = Enumerable.Range(0, n).Select(i => Math.Max(data[i].Ids.Length, data[n + i].Ids.Length)).ToArray();
        int batchesPerEpoch = Batching.EpochBatches(pairLengths, batchSize, o.Seed, 0).Count;
        long totalSteps = (long)batchesPerEpoch * epochs;
        var schedule = new LrSchedule(o.LearningRate ?? hp.LearningRate * SpinOptions.DefaultLearningRateScale, o.WarmupSteps ?? hp.WarmupSteps, totalSteps, o.MinLrRatio ?? hp.MinLrRatio);
        double clip = o.GradClip ?? hp.GradClip;
        var objective = string.Create(CultureInfo.InvariantCulture, $"spin(beta={o.Beta})");
        var fingerprint = Fingerprint(data, Path.Combine(refDir, Checkpoint.WeightsFile));
        var state = resumed ?? new TrainerState
        {
            RunId = o.RunId, Seed = o.Seed, Epochs = epochs, BatchSize = batchSize, GradAccumulation = 1,
            TotalSteps = totalSteps, Objective = objective, DataFingerprint = fingerprint,
        };
        if (resumed is not null) CheckCompatible(resumed, statePath, o.Seed, epochs, batchSize, objective, fingerprint);

        using var optimizer = SftTrainer.MakeOptimizer(model, o.WeightDecay ?? hp.WeightDecay);
        if (resumed is not null) optimizer.load_state_dict(Path.Combine(Checkpoint.Resolve(ckptDir), Checkpoint.OptimizerFile));

        SpinMetrics? initial = null;
        if (resumed is null)
            initial = SpinLoss.Summarise(SpinLoss.SequenceLogProbs(model, data, o.EvalBatchSize, tok.PadId), refLogp, n, o.Beta);
        log.Write(resumed is null ? "start" : "resume", new JsonObject
        {
            ["run_id"] = state.RunId, ["pairs"] = n, ["epochs"] = epochs, ["batch_size"] = batchSize, ["total_steps"] = totalSteps,
            ["global_step"] = state.GlobalStep, ["objective"] = objective, ["beta"] = o.Beta, ["reference"] = refDir,
            ["init"] = o.InitCheckpoint ?? refDir, ["parameters"] = model.ParameterCount(), ["threads"] = torch.get_num_threads(),
            ["peak_lr"] = schedule.Peak, ["preset"] = o.Preset,
            ["initial_loss"] = initial?.Loss, ["initial_margin"] = initial?.Margin, ["initial_accuracy"] = initial?.Accuracy,
        });

        void Save()
        {
            using var scope = NewDisposeScope();
            Checkpoint.Save(ckptDir, model, tok, tmp =>
            {
                optimizer.save_state_dict(Path.Combine(tmp, Checkpoint.OptimizerFile));
                state.Save(Path.Combine(tmp, Checkpoint.StateFile));
            });
        }

        model.train();
        var steadyElapsed = TimeSpan.Zero;
        long steadyTokens = 0, stepsThisProcess = 0;
        double lastLoss = double.NaN;
        var runWatch = Stopwatch.StartNew();
        var parameters = model.parameters().ToArray();
        bool stoppedAtLimit = false;

        while (state.Epoch < epochs && !stoppedAtLimit)
        {
            var batches = Batching.EpochBatches(pairLengths, batchSize, o.Seed, state.Epoch);
            var epochWatch = Stopwatch.StartNew();
            while (state.NextBatch < batches.Count)
            {
                ct.ThrowIfCancellationRequested();
                // One scope per step, around zero_grad too (TorchSharp wraps each grad in a new Tensor there).
                using var stepScope = NewDisposeScope();
                var stepWatch = Stopwatch.StartNew();
                var rows = batches[state.NextBatch];
                int b = rows.Length;
                optimizer.zero_grad();
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
                if (clip > 0) nn.utils.clip_grad_norm_(parameters, clip);
                foreach (var g in optimizer.ParamGroups) g.LearningRate = schedule.At(state.GlobalStep);
                optimizer.step();

                double stepLoss = loss.item<float>();
                double stepMargin = delta.Average() * o.Beta;
                int correct = delta.Count(d => d > 0);
                state.GlobalStep++;
                state.NextBatch++;
                state.EpochLossSum += stepLoss;
                state.EpochLossSteps++;
                state.EpochMarginSum += stepMargin * b;
                state.EpochCorrectPairs += correct;
                state.EpochPairs += b;
                state.TrainTokens += batch.Tokens;
                lastLoss = stepLoss;
                stepWatch.Stop();
                // The first step of a process is slower (native warm-up): leave it out of tokens/s.
                if (++stepsThisProcess > 1) { steadyTokens += batch.Tokens; steadyElapsed += stepWatch.Elapsed; }
                double tps = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : batch.Tokens / stepWatch.Elapsed.TotalSeconds;
                var perStep = steadyElapsed > TimeSpan.Zero ? steadyElapsed / (stepsThisProcess - 1) : stepWatch.Elapsed;
                progress?.Report(new SpinProgress(new TrainProgress(state.Epoch + 1, epochs, state.GlobalStep, totalSteps, stepLoss, tps,
                    perStep * (totalSteps - state.GlobalStep)), stepMargin, (double)correct / b));

                bool epochEnd = state.NextBatch >= batches.Count;
                if (o.MaxSteps is { } max && state.GlobalStep >= max) { stoppedAtLimit = true; break; }
                if (!epochEnd && o.SaveEverySteps > 0 && state.GlobalStep % o.SaveEverySteps == 0) Save();
            }
            if (stoppedAtLimit && state.NextBatch < batches.Count) { Save(); break; }

            double meanLoss = state.EpochLossSteps > 0 ? state.EpochLossSum / state.EpochLossSteps : double.NaN;
            double meanMargin = state.EpochPairs > 0 ? state.EpochMarginSum / state.EpochPairs : double.NaN;
            double accuracy = state.EpochPairs > 0 ? (double)state.EpochCorrectPairs / state.EpochPairs : double.NaN;
            state.EpochMeanLosses.Add(meanLoss);
            state.EpochMeanMargins.Add(meanMargin);
            state.EpochAccuracies.Add(accuracy);
            int finished = state.Epoch + 1;
            state.Epoch = finished;
            state.NextBatch = 0;
            state.EpochLossSum = 0;
            state.EpochLossSteps = 0;
            state.EpochMarginSum = 0;
            state.EpochCorrectPairs = 0;
            state.EpochPairs = 0;
            epochWatch.Stop();
            Save();
            log.Write("epoch", new JsonObject
            {
                ["epoch"] = finished, ["global_step"] = state.GlobalStep, ["mean_loss"] = meanLoss, ["mean_reward_margin"] = meanMargin,
                ["accuracy"] = accuracy, ["epoch_seconds"] = epochWatch.Elapsed.TotalSeconds,
                ["tokens_per_second"] = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : 0,
            });
        }

        // Over every pair with the final weights: the numbers the run is judged by (the epoch means mix weights over the epoch).
        SpinMetrics? final = null;
        if (!stoppedAtLimit)
            final = SpinLoss.Summarise(SpinLoss.SequenceLogProbs(model, data, o.EvalBatchSize, tok.PadId), refLogp, n, o.Beta);
        double tpsFinal = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : 0;
        log.Write(stoppedAtLimit ? "stopped_at_limit" : "end", new JsonObject
        {
            ["global_step"] = state.GlobalStep, ["seconds"] = runWatch.Elapsed.TotalSeconds, ["tokens_per_second"] = tpsFinal, ["last_loss"] = lastLoss,
            ["final_loss"] = final?.Loss, ["final_margin"] = final?.Margin, ["final_accuracy"] = final?.Accuracy,
        });
        return new SpinResult(ckptDir, log.Path, state.GlobalStep, state.EpochMeanLosses.ToList(), state.EpochMeanMargins.ToList(),
            state.EpochAccuracies.ToList(), initial, final, model.ParameterCount(), state.TrainTokens, tpsFinal, runWatch.Elapsed.TotalSeconds, stoppedAtLimit);
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

    static void CheckCompatible(TrainerState s, string path, int seed, int epochs, int batchSize, string objective, string fingerprint)
    {
        void Need(bool ok, string what) { if (!ok) throw new InvalidOperationException($"{path}: cannot resume: {what}"); }
        Need(s.Seed == seed, $"seed {seed} differs from the saved run's {s.Seed}");
        Need(s.Epochs == epochs, $"epochs {epochs} differs from the saved run's {s.Epochs}");
        Need(s.BatchSize == batchSize, $"batch size {batchSize} differs from the saved run's {s.BatchSize}");
        Need(s.Objective == objective, $"objective {objective} differs from the saved run's {s.Objective}");
        Need(s.DataFingerprint == fingerprint, "the pairs or the reference model differ from the saved run's");
    }

    /// <summary>Identifies the tokenized pairs and the reference weights, so a resume against other ones is refused.</summary>
    static string Fingerprint(IReadOnlyList<TokenizedExample> data, string referenceWeights)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in data)
        {
            h.AppendData(Encoding.UTF8.GetBytes(e.Id));
            h.AppendData(BitConverter.GetBytes(e.ResponseStart));
            foreach (var id in e.Ids) h.AppendData(BitConverter.GetBytes(id));
        }
        using (var fs = File.OpenRead(referenceWeights)) h.AppendData(SHA256.HashData(fs));
        return Convert.ToHexString(h.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
