using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// Supervised fine-tuning with loss on response tokens only, AdamW, warm-up + cosine, clipping,
/// accumulation, per-example loss trajectories and resumable checkpoints in OutDir:
/// checkpoint/ (weights, config, tokenizer, trainer state), trajectories/part-*.parquet, run_log.jsonl.
/// </summary>
public static class SftTrainer
{
    public const string CheckpointFolder = "checkpoint";
    public const string TrajectoriesFolder = "trajectories";
    public const string RunLogFile = "run_log.jsonl";

    /// <summary>
    /// Runs on a worker thread: TorchSharp dispose scopes are thread-local, so the whole run stays on
    /// one thread instead of hopping across awaits.
    /// </summary>
    public static Task<TrainResult> RunAsync(TrainOptions options, IProgress<TrainProgress>? progress = null, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(options, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static TrainResult Run(TrainOptions o, IProgress<TrainProgress>? progress = null, CancellationToken ct = default)
    {
        o.Objective.Validate();
        if (o.GradAccumulation < 1) throw new ArgumentException($"gradient accumulation {o.GradAccumulation} must be ≥ 1");
        TrainData.Validate(o.Examples, o.DataSource);
        torch.set_num_threads(o.Threads ?? Environment.ProcessorCount);

        var outDir = Path.GetFullPath(o.OutDir);
        Directory.CreateDirectory(outDir);
        var ckptDir = Path.Combine(outDir, CheckpointFolder);
        var statePath = Path.Combine(Checkpoint.Resolve(ckptDir), Checkpoint.StateFile);
        var trajDir = Path.Combine(outDir, TrajectoriesFolder);
        var log = new RunLog(Path.Combine(outDir, RunLogFile));

        TrainerState? resumed = null;
        if (File.Exists(statePath))
        {
            if (!o.Resume)
                throw new InvalidOperationException($"{outDir} already holds a training checkpoint; pass --resume to continue it or choose an empty folder.");
            resumed = TrainerState.Load(statePath);
        }

        torch.manual_seed(o.Seed);
        LlamaForCausalLM model;
        ITokenizer tok;
        if (resumed is not null) (model, tok) = Checkpoint.Load(ckptDir);
        else if (o.InitCheckpoint is not null) (model, tok) = Checkpoint.Load(o.InitCheckpoint);
        else
        {
            tok = o.Tokenizer ?? new ByteTokenizer();
            model = new LlamaForCausalLM(o.Config ?? Presets.Get(o.Preset, tok));
        }

        using var _model = model;
        var hp = Presets.DefaultHyperparameters(Presets.Names.Contains(o.Preset) ? o.Preset : "small");
        int epochs = o.Epochs ?? hp.Epochs;
        int batchSize = o.BatchSize ?? hp.BatchSize;
        if (epochs < 1) throw new ArgumentException($"epochs {epochs} must be ≥ 1");
        if (batchSize < 1) throw new ArgumentException($"batch size {batchSize} must be ≥ 1");
        int accum = o.GradAccumulation;

        var data = Batching.Tokenize(o.Examples, tok, model.Config.MaxPositionEmbeddings, o.DataSource);
        int batchesPerEpoch = Batching.EpochBatches(data, batchSize, o.Seed, 0).Count;
        long stepsPerEpoch = (batchesPerEpoch + accum - 1) / accum;
        long totalSteps = stepsPerEpoch * epochs;
        var schedule = new LrSchedule(o.LearningRate ?? hp.LearningRate, o.WarmupSteps ?? hp.WarmupSteps, totalSteps, o.MinLrRatio ?? hp.MinLrRatio);
        double clip = o.GradClip ?? hp.GradClip;
        var fingerprint = Fingerprint(data);
        var state = resumed ?? new TrainerState
        {
            RunId = o.RunId, Seed = o.Seed, Epochs = epochs, BatchSize = batchSize, GradAccumulation = accum,
            TotalSteps = totalSteps, Objective = o.Objective.ToString(), DataFingerprint = fingerprint,
        };
        if (resumed is not null) CheckCompatible(resumed, statePath, o, epochs, batchSize, fingerprint);

        using var optimizer = MakeOptimizer(model, o.WeightDecay ?? hp.WeightDecay);
        if (resumed is not null) optimizer.load_state_dict(Path.Combine(Checkpoint.Resolve(ckptDir), Checkpoint.OptimizerFile));

        // The lineage contract every output carries; what identifies this training goes in its settings.
        var meta = new Lineage { RunId = state.RunId, Producer = "rft train", Seed = state.Seed }
            .WithSettings(new { state.Objective, o.Preset, DataFingerprint = fingerprint }).ToMetadata();
        log.Write(resumed is null ? "start" : "resume", new JsonObject
        {
            ["run_id"] = state.RunId, ["examples"] = data.Count, ["epochs"] = epochs, ["batch_size"] = batchSize,
            ["grad_accumulation"] = accum, ["total_steps"] = totalSteps, ["global_step"] = state.GlobalStep,
            ["objective"] = state.Objective, ["parameters"] = model.ParameterCount(), ["threads"] = torch.get_num_threads(),
            ["peak_lr"] = schedule.Peak, ["init"] = o.InitCheckpoint, ["preset"] = o.Preset,
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

        void Record(int epochLabel, Stopwatch? timer)
        {
            if (!o.RecordTrajectories) return;
            progress?.Report(new TrainProgress(state.Epoch + 1, epochs, state.GlobalStep, totalSteps, 0, 0, TimeSpan.Zero, "trajectories"));
            timer?.Start();
            using var scope = NewDisposeScope();
            var rows = TrajectoryRecorder.Compute(model, data, o.EvalBatchSize, tok.PadId, epochLabel, state.GlobalStep, state.RunId);
            TrajectoryRecorder.Write(trajDir, state.TrajectoryParts, rows, meta);
            state.TrajectoryParts++;
            timer?.Stop();
        }

        model.train();
        var steadyElapsed = TimeSpan.Zero;
        long steadyTokens = 0, stepsThisProcess = 0;
        double lastLoss = double.NaN, trajSecondsTotal = 0, epochSecondsTotal = 0;
        var runWatch = Stopwatch.StartNew();
        var parameters = model.parameters().ToArray();
        bool stoppedAtLimit = false;

        while (state.Epoch < epochs && !stoppedAtLimit)
        {
            var batches = Batching.EpochBatches(data, batchSize, o.Seed, state.Epoch);
            var epochWatch = Stopwatch.StartNew();
            var trajWatch = new Stopwatch();
            while (state.NextBatch < batches.Count)
            {
                ct.ThrowIfCancellationRequested();
                // One scope per step, around zero_grad too: TorchSharp wraps each grad in a new Tensor there.
                using var stepScope = NewDisposeScope();
                var stepWatch = Stopwatch.StartNew();
                int groupEnd = Math.Min(state.NextBatch + accum, batches.Count);
                int micro = groupEnd - state.NextBatch;
                double stepLoss = 0;
                long stepTokens = 0;
                optimizer.zero_grad();
                for (int bi = state.NextBatch; bi < groupEnd; bi++)
                {
                    using var scope = NewDisposeScope();
                    using var batch = Batching.Build(data, batches[bi], tok.PadId);
                    var logits = model.forward(batch.Inputs);
                    var loss = Objectives.BatchLoss(logits, batch.Targets, batch.LossMask, batch.RowWeight, o.Objective) / micro;
                    loss.backward();
                    stepLoss += loss.item<float>();
                    stepTokens += batch.Tokens;
                }
                using (NewDisposeScope())
                {
                    if (clip > 0) nn.utils.clip_grad_norm_(parameters, clip);
                    double lr = schedule.At(state.GlobalStep);
                    foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
                    optimizer.step();
                }
                state.GlobalStep++;
                state.NextBatch = groupEnd;
                state.EpochLossSum += stepLoss;
                state.EpochLossSteps++;
                state.TrainTokens += stepTokens;
                lastLoss = stepLoss;
                stepWatch.Stop();
                // The first step of a process is ~3× slower (native warm-up): leave it out of tokens/s.
                if (++stepsThisProcess > 1) { steadyTokens += stepTokens; steadyElapsed += stepWatch.Elapsed; }
                double tps = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : stepTokens / stepWatch.Elapsed.TotalSeconds;
                var perStep = steadyElapsed > TimeSpan.Zero ? steadyElapsed / (stepsThisProcess - 1) : stepWatch.Elapsed;
                progress?.Report(new TrainProgress(state.Epoch + 1, epochs, state.GlobalStep, totalSteps, stepLoss, tps,
                    perStep * (totalSteps - state.GlobalStep)));

                bool epochEnd = state.NextBatch >= batches.Count;
                if (!epochEnd && o.TrajectoryEverySteps > 0 && state.GlobalStep % o.TrajectoryEverySteps == 0)
                    Record(state.Epoch, trajWatch);
                if ((o.MaxSteps is { } max && state.GlobalStep >= max) || (o.TimeLimit is { } limit && runWatch.Elapsed >= limit))
                {
                    stoppedAtLimit = true;
                    break;
                }
                if (!epochEnd && o.SaveEverySteps > 0 && state.GlobalStep % o.SaveEverySteps == 0) Save();
            }
            if (stoppedAtLimit && state.NextBatch < batches.Count)
            {
                Save();
                break;
            }
            // Epoch end: trajectories (labelled with the number of completed epochs), then a resumable checkpoint.
            Record(state.Epoch + 1, trajWatch);
            double meanLoss = state.EpochLossSteps > 0 ? state.EpochLossSum / state.EpochLossSteps : double.NaN;
            state.EpochMeanLosses.Add(meanLoss);
            int finished = state.Epoch + 1;
            state.Epoch = finished;
            state.NextBatch = 0;
            state.EpochLossSum = 0;
            state.EpochLossSteps = 0;
            epochWatch.Stop();
            Save();
            double epochSeconds = epochWatch.Elapsed.TotalSeconds, trajSeconds = trajWatch.Elapsed.TotalSeconds;
            epochSecondsTotal += epochSeconds;
            trajSecondsTotal += trajSeconds;
            log.Write("epoch", new JsonObject
            {
                ["epoch"] = finished, ["global_step"] = state.GlobalStep, ["mean_loss"] = meanLoss,
                ["epoch_seconds"] = epochSeconds, ["trajectory_seconds"] = trajSeconds,
                ["trajectory_share"] = epochSeconds > 0 ? trajSeconds / epochSeconds : 0,
                ["tokens_per_second"] = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : 0,
            });
        }

        double share = epochSecondsTotal > 0 ? trajSecondsTotal / epochSecondsTotal : 0;
        double tpsFinal = steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : 0;
        log.Write(stoppedAtLimit ? "stopped_at_limit" : "end", new JsonObject
        {
            ["global_step"] = state.GlobalStep, ["seconds"] = runWatch.Elapsed.TotalSeconds, ["tokens_per_second"] = tpsFinal,
            ["trajectory_share"] = share, ["last_loss"] = lastLoss,
        });
        return new TrainResult(ckptDir, o.RecordTrajectories ? trajDir : null, log.Path, state.GlobalStep,
            state.EpochMeanLosses.ToList(), lastLoss, model.ParameterCount(), state.TrainTokens, tpsFinal,
            runWatch.Elapsed.TotalSeconds, share, stoppedAtLimit);
    }

    /// <summary>Decay on matrices only; norms (1-D) are not decayed, as is usual for transformers.</summary>
    public static AdamW MakeOptimizer(LlamaForCausalLM model, double weightDecay)
    {
        var decay = model.parameters().Where(p => p.dim() >= 2).ToArray();
        var noDecay = model.parameters().Where(p => p.dim() < 2).ToArray();
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay, new AdamW.Options { weight_decay = weightDecay }),
            new(noDecay, new AdamW.Options { weight_decay = 0.0 }),
        };
        return torch.optim.AdamW(groups, lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8);
    }

    static void CheckCompatible(TrainerState s, string path, TrainOptions o, int epochs, int batchSize, string fingerprint)
    {
        void Need(bool ok, string what) { if (!ok) throw new InvalidOperationException($"{path}: cannot resume: {what}"); }
        Need(s.Seed == o.Seed, $"seed {o.Seed} differs from the saved run's {s.Seed}");
        Need(s.Epochs == epochs, $"epochs {epochs} differs from the saved run's {s.Epochs}");
        Need(s.BatchSize == batchSize, $"batch size {batchSize} differs from the saved run's {s.BatchSize}");
        Need(s.GradAccumulation == o.GradAccumulation, $"gradient accumulation {o.GradAccumulation} differs from the saved run's {s.GradAccumulation}");
        Need(s.Objective == o.Objective.ToString(), $"objective {o.Objective} differs from the saved run's {s.Objective}");
        Need(s.DataFingerprint == fingerprint, "the training data differs from the saved run's");
    }

    /// <summary>Identifies the tokenized data set (ids, tokens, weights) so a resume on other data is refused.</summary>
    static string Fingerprint(IReadOnlyList<TokenizedExample> data)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in data)
        {
            h.AppendData(Encoding.UTF8.GetBytes(e.Id));
            h.AppendData(BitConverter.GetBytes(e.ResponseStart));
            h.AppendData(BitConverter.GetBytes(e.Weight));
            foreach (var id in e.Ids) h.AppendData(BitConverter.GetBytes(id));
        }
        return Convert.ToHexString(h.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
