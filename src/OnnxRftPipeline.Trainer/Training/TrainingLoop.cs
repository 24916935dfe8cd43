using OnnxRftPipeline.Contracts.Data;
using System.Diagnostics;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>
/// The resumable run SFT and SPIN share, so that resume, checkpoints, limits and timing behave the same in both:
/// the run folder (checkpoint/ with the trainer state a resume continues, run_log.jsonl), epochs of seeded batch
/// orders, optimizer steps (accumulation, clipping, the LR schedule), tokens/s, progress and the closing log line.
/// A trainer supplies only what differs (<see cref="Hooks"/>): its batches' loss and what it records.
/// </summary>
public sealed class TrainingLoop
{
    public const string CheckpointFolder = "checkpoint";
    public const string RunLogFile = "run_log.jsonl";

    public string OutDir { get; }
    public string CheckpointDir { get; }
    public RunLog Log { get; }
    /// <summary>The saved state to continue; null for a fresh run.</summary>
    public TrainerState? Resumed { get; }
    public bool StoppedAtLimit { get; private set; }
    public double LastLoss { get; private set; } = double.NaN;
    /// <summary>Over this process's optimizer steps except its first (native warm-up makes that one ~3× slower).</summary>
    public double TokensPerSecond => steadyElapsed > TimeSpan.Zero ? steadyTokens / steadyElapsed.TotalSeconds : 0;
    /// <summary>Since training started, read when asked: a trainer's closing evaluation counts too.</summary>
    public double Seconds => runWatch.Elapsed.TotalSeconds;

    readonly string statePath;
    readonly Stopwatch runWatch = new();
    TimeSpan steadyElapsed = TimeSpan.Zero;
    long steadyTokens;

    /// <summary>How the steps go; the trainer resolves it from its options and the preset.</summary>
    public sealed record Plan(int Epochs, long TotalSteps, int GradAccumulation, LrSchedule Schedule, double GradClip,
        int SaveEverySteps, long? MaxSteps, TimeSpan? TimeLimit);

    /// <summary>What differs between trainers, called where each name says.</summary>
    public sealed class Hooks
    {
        /// <summary>An epoch's batches (rows of the trainer's data): a pure function of (seed, epoch), so a resume replays it.</summary>
        public required Func<int, List<int[]>> EpochBatches { get; init; }
        /// <summary>
        /// Forward and backward of one batch, given how many batches the step accumulates; returns the loss it adds to
        /// the step's and its tokens. Runs in its own dispose scope: copy out what must outlive it.
        /// </summary>
        public required Func<int[], int, (double Loss, long Tokens)> Backward { get; init; }
        /// <summary>After each optimizer step, before the limits and the periodic save; true when it ended the epoch.</summary>
        public required Action<TrainProgress, bool> AfterStep { get; init; }
        /// <summary>At an epoch's end, inside its time and before its checkpoint, so what it records is saved with it.</summary>
        public Action? EndEpoch { get; init; }
        /// <summary>Adds the trainer's fields to the epoch's log line, given the epoch's seconds.</summary>
        public Action<JsonObject, double>? EpochLog { get; init; }
    }

    /// <summary>Opens the run folder; a saved state there is continued only when <paramref name="resume"/> asks for it.</summary>
    public TrainingLoop(string outDir, bool resume)
    {
        OutDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(OutDir);
        CheckpointDir = Path.Combine(OutDir, CheckpointFolder);
        statePath = Path.Combine(Checkpoint.Resolve(CheckpointDir), Checkpoint.StateFile);
        Log = new RunLog(Path.Combine(OutDir, RunLogFile));
        if (!File.Exists(statePath)) return;
        if (!resume)
            throw UserError.Mark(new InvalidOperationException($"{OutDir} already holds a training checkpoint; pass --resume to continue it or choose an empty folder."));
        Resumed = TrainerState.Load(statePath);
    }

    /// <summary>True for a resumed run whose saved state is already past its last epoch: nothing is left to train.</summary>
    public bool IsFinished(TrainerState state) => Resumed is not null && state.Epoch >= state.Epochs;

    /// <summary>The preset's defaults under the run's overrides; a name that is no preset (a custom config) takes small's.</summary>
    public static (Hyperparameters Hp, int Epochs, int BatchSize) Defaults(string preset, int? epochs, int? batchSize)
    {
        var hp = Presets.DefaultHyperparameters(Presets.Names.Contains(preset) ? preset : "small");
        int e = epochs ?? hp.Epochs, b = batchSize ?? hp.BatchSize;
        if (e < 1) throw new ArgumentException($"--epochs must be ≥ 1, got {e}");
        if (b < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {b}");
        return (hp, e, b);
    }

    /// <summary>
    /// The saved state when resuming, refused where it would not reproduce an uninterrupted run (batch order, step
    /// count or loss would differ); otherwise <paramref name="fresh"/>.
    /// </summary>
    public TrainerState Continue(TrainerState fresh, string dataDiffers)
    {
        if (Resumed is not { } s) return fresh;
        void Need(bool ok, string what) { if (!ok) throw UserError.Mark(new InvalidOperationException($"{statePath}: cannot resume: {what}")); }
        Need(s.Seed == fresh.Seed, $"seed {fresh.Seed} differs from the saved run's {s.Seed}");
        Need(s.Epochs == fresh.Epochs, $"epochs {fresh.Epochs} differs from the saved run's {s.Epochs}");
        Need(s.BatchSize == fresh.BatchSize, $"batch size {fresh.BatchSize} differs from the saved run's {s.BatchSize}");
        Need(s.GradAccumulation == fresh.GradAccumulation, $"gradient accumulation {fresh.GradAccumulation} differs from the saved run's {s.GradAccumulation}");
        Need(s.Objective == fresh.Objective, $"objective {fresh.Objective} differs from the saved run's {s.Objective}");
        Need(s.DataFingerprint == fresh.DataFingerprint, dataDiffers);
        return s;
    }

    /// <summary>Loads the saved AdamW moments when resuming: without them the next steps would not match an uninterrupted run's.</summary>
    public void Restore(AdamW optimizer)
    {
        if (Resumed is not null) optimizer.load_state_dict(Path.Combine(Checkpoint.Resolve(CheckpointDir), Checkpoint.OptimizerFile));
    }

    /// <summary>
    /// Trains from the state's position to its last epoch or a limit. Checkpoints at every epoch end, every
    /// SaveEverySteps steps and where a limit stops it mid-epoch, so a resume continues exactly there.
    /// </summary>
    public void Run(LlamaForCausalLM model, ITokenizer tok, AdamW optimizer, TrainerState state, Plan plan, Hooks hooks, CancellationToken ct)
    {
        void Save()
        {
            using var scope = NewDisposeScope();
            Checkpoint.Save(CheckpointDir, model, tok, tmp =>
            {
                optimizer.save_state_dict(Path.Combine(tmp, Checkpoint.OptimizerFile));
                state.Save(Path.Combine(tmp, Checkpoint.StateFile));
            });
        }

        model.train();
        long stepsThisProcess = 0;
        runWatch.Start();
        var parameters = model.parameters().ToArray();

        while (state.Epoch < plan.Epochs && !StoppedAtLimit)
        {
            var batches = hooks.EpochBatches(state.Epoch);
            var epochWatch = Stopwatch.StartNew();
            while (state.NextBatch < batches.Count)
            {
                ct.ThrowIfCancellationRequested();
                // One scope per step, around zero_grad too: TorchSharp wraps each grad in a new Tensor there.
                using var stepScope = NewDisposeScope();
                var stepWatch = Stopwatch.StartNew();
                int groupEnd = Math.Min(state.NextBatch + plan.GradAccumulation, batches.Count);
                int micro = groupEnd - state.NextBatch;
                double stepLoss = 0;
                long stepTokens = 0;
                optimizer.zero_grad();
                for (int bi = state.NextBatch; bi < groupEnd; bi++)
                {
                    using var scope = NewDisposeScope();
                    var (loss, tokens) = hooks.Backward(batches[bi], micro);
                    stepLoss += loss;
                    stepTokens += tokens;
                }
                using (NewDisposeScope())
                {
                    if (plan.GradClip > 0) nn.utils.clip_grad_norm_(parameters, plan.GradClip);
                    double lr = plan.Schedule.At(state.GlobalStep);
                    foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
                    optimizer.step();
                }
                state.GlobalStep++;
                state.NextBatch = groupEnd;
                state.EpochLossSum += stepLoss;
                state.EpochLossSteps++;
                state.TrainTokens += stepTokens;
                LastLoss = stepLoss;
                stepWatch.Stop();
                if (++stepsThisProcess > 1) { steadyTokens += stepTokens; steadyElapsed += stepWatch.Elapsed; }
                double tps = steadyElapsed > TimeSpan.Zero ? TokensPerSecond : stepTokens / stepWatch.Elapsed.TotalSeconds;
                var perStep = steadyElapsed > TimeSpan.Zero ? steadyElapsed / (stepsThisProcess - 1) : stepWatch.Elapsed;
                bool epochEnd = state.NextBatch >= batches.Count;
                hooks.AfterStep(new TrainProgress(state.Epoch + 1, plan.Epochs, state.GlobalStep, plan.TotalSteps, stepLoss, tps,
                    perStep * (plan.TotalSteps - state.GlobalStep)), epochEnd);

                if ((plan.MaxSteps is { } max && state.GlobalStep >= max) || (plan.TimeLimit is { } limit && runWatch.Elapsed >= limit))
                {
                    StoppedAtLimit = true;
                    break;
                }
                if (!epochEnd && plan.SaveEverySteps > 0 && state.GlobalStep % plan.SaveEverySteps == 0) Save();
            }
            if (StoppedAtLimit && state.NextBatch < batches.Count)
            {
                Save();
                break;
            }
            hooks.EndEpoch?.Invoke();
            double meanLoss = state.EpochLossSteps > 0 ? state.EpochLossSum / state.EpochLossSteps : double.NaN;
            state.EpochMeanLosses.Add(meanLoss);
            int finished = state.Epoch + 1;
            state.Epoch = finished;
            state.NextBatch = 0;
            state.EpochLossSum = 0;
            state.EpochLossSteps = 0;
            epochWatch.Stop();
            Save();
            double epochSeconds = epochWatch.Elapsed.TotalSeconds;
            var line = new JsonObject { ["epoch"] = finished, ["global_step"] = state.GlobalStep, ["mean_loss"] = meanLoss };
            hooks.EpochLog?.Invoke(line, epochSeconds);
            line["epoch_seconds"] = epochSeconds;
            line["tokens_per_second"] = TokensPerSecond;
            Log.Write("epoch", line);
        }
    }

    /// <summary>The run's last log line: "end", or "stopped_at_limit" when a limit cut it short (a resume finishes it).</summary>
    public void WriteEnd(TrainerState state, JsonObject trainerFields)
    {
        var line = new JsonObject
        {
            ["global_step"] = state.GlobalStep, ["seconds"] = Seconds, ["tokens_per_second"] = TokensPerSecond, ["last_loss"] = LastLoss,
        };
        foreach (var (k, v) in trainerFields) line[k] = v?.DeepClone();
        Log.Write(StoppedAtLimit ? "stopped_at_limit" : "end", line);
    }
}
