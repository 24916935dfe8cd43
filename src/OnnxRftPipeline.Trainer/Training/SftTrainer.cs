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
    public const string CheckpointFolder = TrainingLoop.CheckpointFolder;
    public const string TrajectoriesFolder = "trajectories";
    public const string RunLogFile = TrainingLoop.RunLogFile;

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
        if (o.Threads is < 1) throw new ArgumentException($"--threads must be >= 1, got {o.Threads}");
        if (o.LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr))) throw new ArgumentException($"--lr must be a positive finite number, got {lr}");
        torch.set_num_threads(o.Threads ?? Environment.ProcessorCount);
        // Checked before the run folder is touched, so a bad value leaves nothing behind.
        var (hp, epochs, batchSize) = TrainingLoop.Defaults(o.Preset, o.Epochs, o.BatchSize);

        var run = new TrainingLoop(o.OutDir, o.Resume);
        var trajDir = Path.Combine(run.OutDir, TrajectoriesFolder);
        torch.manual_seed(o.Seed);
        LlamaForCausalLM model;
        ITokenizer tok;
        if (run.Resumed is not null) (model, tok) = Checkpoint.Load(run.CheckpointDir);
        else if (o.InitCheckpoint is not null) (model, tok) = Checkpoint.Load(o.InitCheckpoint);
        else
        {
            tok = o.Tokenizer ?? new ByteTokenizer();
            model = new LlamaForCausalLM(o.Config ?? Presets.Get(o.Preset, tok));
        }
        // The template becomes part of the checkpoint's tokenizer (rft_prompt.json); without one the loaded checkpoint's stays.
        if (o.PromptTemplate is not null) tok = TemplatedTokenizer.With(tok, o.PromptTemplate);

        using var _model = model;
        int accum = o.GradAccumulation;

        var data = Batching.Tokenize(o.Examples, tok, model.Config.ContextLimit, o.DataSource);
        int batchesPerEpoch = Batching.EpochBatches(data, batchSize, o.Seed, 0).Count;
        long stepsPerEpoch = (batchesPerEpoch + accum - 1) / accum;
        long totalSteps = stepsPerEpoch * epochs;
        var schedule = new LrSchedule(o.LearningRate ?? hp.LearningRate, o.WarmupSteps ?? hp.WarmupSteps, totalSteps, o.MinLrRatio ?? hp.MinLrRatio);
        var fingerprint = Fingerprint(data);
        var state = run.Continue(new TrainerState
        {
            RunId = o.RunId, Seed = o.Seed, Epochs = epochs, BatchSize = batchSize, GradAccumulation = accum,
            TotalSteps = totalSteps, Objective = o.Objective.ToString(), DataFingerprint = fingerprint,
        }, "the training data differs from the saved run's");
        // Resuming a run that already finished (killed after its last save, before the caller recorded it) is a no-op that succeeds.
        if (run.IsFinished(state))
            return new TrainResult(run.CheckpointDir, o.RecordTrajectories ? trajDir : null, run.Log.Path, state.GlobalStep, state.EpochMeanLosses.ToList(),
                double.NaN, model.ParameterCount(), state.TrainTokens, 0, 0, 0, StoppedAtLimit: false);

        using var optimizer = MakeOptimizer(model, o.WeightDecay ?? hp.WeightDecay);
        run.Restore(optimizer);

        // The lineage contract every output carries; what identifies this training goes in its settings.
        var meta = new Lineage { RunId = state.RunId, Producer = "rft train", Seed = state.Seed }
            .WithSettings(new { state.Objective, o.Preset, DataFingerprint = fingerprint }).ToMetadata();
        run.Log.Write(run.Resumed is null ? "start" : "resume", new JsonObject
        {
            ["run_id"] = state.RunId, ["examples"] = data.Count, ["epochs"] = epochs, ["batch_size"] = batchSize,
            ["grad_accumulation"] = accum, ["total_steps"] = totalSteps, ["global_step"] = state.GlobalStep,
            ["objective"] = state.Objective, ["parameters"] = model.ParameterCount(), ["threads"] = torch.get_num_threads(),
            ["peak_lr"] = schedule.Peak, ["init"] = o.InitCheckpoint, ["preset"] = o.Preset,
        });

        // Recording time within the current epoch, reported as its share of epoch time (what trajectories cost).
        var trajWatch = new Stopwatch();
        double trajSecondsTotal = 0, epochSecondsTotal = 0;
        void Record(int epochLabel)
        {
            if (!o.RecordTrajectories) return;
            progress?.Report(new TrainProgress(state.Epoch + 1, epochs, state.GlobalStep, totalSteps, 0, 0, TimeSpan.Zero, "trajectories"));
            trajWatch.Start();
            using var scope = NewDisposeScope();
            var rows = TrajectoryRecorder.Compute(model, data, o.EvalBatchSize, tok.PadId, epochLabel, state.GlobalStep, state.RunId);
            TrajectoryRecorder.Write(trajDir, state.TrajectoryParts, rows, meta);
            state.TrajectoryParts++;
            trajWatch.Stop();
        }

        run.Run(model, tok, optimizer, state,
            new TrainingLoop.Plan(epochs, totalSteps, accum, schedule, o.GradClip ?? hp.GradClip, o.SaveEverySteps, o.MaxSteps, o.TimeLimit),
            new TrainingLoop.Hooks
            {
                EpochBatches = epoch => Batching.EpochBatches(data, batchSize, o.Seed, epoch),
                Backward = (rows, micro) =>
                {
                    using var batch = Batching.Build(data, rows, tok.PadId);
                    var logits = model.forward(batch.Inputs);
                    var loss = Objectives.BatchLoss(logits, batch.Targets, batch.LossMask, batch.RowWeight, o.Objective) / micro;
                    loss.backward();
                    return (loss.item<float>(), batch.Tokens);
                },
                AfterStep = (step, epochEnd) =>
                {
                    progress?.Report(step);
                    if (!epochEnd && o.TrajectoryEverySteps > 0 && state.GlobalStep % o.TrajectoryEverySteps == 0)
                        Record(state.Epoch);
                },
                // Labelled with the number of completed epochs, which the loop has not counted yet.
                EndEpoch = () => Record(state.Epoch + 1),
                EpochLog = (line, epochSeconds) =>
                {
                    double trajSeconds = trajWatch.Elapsed.TotalSeconds;
                    trajWatch.Reset();
                    epochSecondsTotal += epochSeconds;
                    trajSecondsTotal += trajSeconds;
                    line["trajectory_seconds"] = trajSeconds;
                    line["trajectory_share"] = epochSeconds > 0 ? trajSeconds / epochSeconds : 0;
                },
            }, ct);

        double share = epochSecondsTotal > 0 ? trajSecondsTotal / epochSecondsTotal : 0;
        run.WriteEnd(state, new JsonObject { ["trajectory_share"] = share });
        return new TrainResult(run.CheckpointDir, o.RecordTrajectories ? trajDir : null, run.Log.Path, state.GlobalStep,
            state.EpochMeanLosses.ToList(), run.LastLoss, model.ParameterCount(), state.TrainTokens, run.TokensPerSecond,
            run.Seconds, share, run.StoppedAtLimit);
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
