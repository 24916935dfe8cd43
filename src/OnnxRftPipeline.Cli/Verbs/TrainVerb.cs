using System.CommandLine;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;
using OnnxRftPipeline.Trainer.Training;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft train`: SFT with per-example loss trajectories, resumable checkpoints.</summary>
public static class TrainVerb
{
    public static Command Create()
    {
        var data = Opt.Optional<string>("--data", "SFT examples or a next-stage set (folder of part files); required unless --objective spin.");
        var outDir = Opt.Required<string>("--out", "Run folder: checkpoint/, trajectories/, run_log.jsonl.");
        var epochs = Opt.Optional<int?>("--epochs", "Epochs (default: the preset's).");
        var preset = Opt.With("--preset", "small", $"Model size: {string.Join(" | ", Presets.Names)}.");
        preset.AcceptOnlyFromAmong(Presets.Names);
        var init = Opt.Optional<string>("--init", "Checkpoint to start from (e.g. the base model when retraining; spin: default the reference): " +
            "one `rft train` wrote, or a Hugging Face Llama / Mistral / Qwen2 folder as saved. A pretrained model wants a small --lr (e.g. 2e-5).");
        var promptTemplate = Opt.Optional<string>("--prompt-template", "Text the model sees in place of each prompt, containing {prompt} once " +
            "(e.g. \"<|im_start|>user\\n{prompt}<|im_end|>\\n<|im_start|>assistant\\n\"); stored with the checkpoint, so export, sample, eval and serve " +
            "apply it too. Default: the --init checkpoint's, else {prompt}.");
        var objective = Opt.With("--objective", "ce", "ce | target-sft | spin (contrastive: needs --pairs and --reference).");
        objective.AcceptOnlyFromAmong("ce", "target-sft", "spin");
        var targetWeight = Opt.Optional<string>("--target-weight", $"target-sft: weight on the observed token (a number in [0, 1]; default {ObjectiveOptions.DefaultTargetWeight}), or 'model' for the model's detached probability (= DFT, for a pretrained --init).");
        var resume = Opt.Flag("--resume", "Continue from the run folder's last saved state.");
        var trajectories = Opt.With("--record-trajectories", true, "Record every example's loss after every epoch.");
        var trajEvery = Opt.With("--trajectory-every-steps", 0, "Also record trajectories every N steps (0 = epoch ends only).");
        var seed = Opt.With("--seed", 1234, "Seed for initialisation and data order.");
        var threads = Opt.Optional<int?>("--threads", "Intra-op threads (default: all cores).");
        var lr = Opt.Optional<double?>("--lr", "Peak learning rate (default: the preset's).");
        var batch = Opt.Optional<int?>("--batch-size", "Examples per optimizer step (default: the preset's).");
        var accum = Opt.With("--grad-accumulation", 1, "Micro-batches per optimizer step.");
        var saveEvery = Opt.With("--save-every-steps", 0, "Save a resumable state every N steps besides epoch ends.");
        var pairs = Opt.Optional<string>("--pairs", "spin: pairs dataset from `rft pairs`.");
        var reference = Opt.Optional<string>("--reference", "spin: checkpoint of the frozen reference model.");
        var beta = Opt.With("--beta", 0.1, "spin: inverse temperature beta of the contrastive loss.");
        var device = new EngineFlags(offerEngine: false);
        var cmd = new Command("train", "Supervised fine-tuning with loss trajectories (CE or Target-SFT), or SPIN contrastive SFT on pairs.")
            .With([data, outDir, epochs, preset, init, promptTemplate, objective, targetWeight, resume, trajectories, trajEvery, seed, threads, lr, batch, accum, saveEvery,
                pairs, reference, beta, .. device.Options]);
        cmd.SetAction(async (p, ct) =>
        {
            // Checked before anything is read or written: cuda is refused with what is missing, never run on the CPU.
            TrainingDevice.Resolve(device.ReadDevice(p));
            if (p.GetValue(objective) == "spin")
            {
                if (p.GetValue(data) is not null) throw new UserInputException("--objective spin trains on --pairs, not --data");
                if (p.GetValue(promptTemplate) is not null) throw new UserInputException("--prompt-template does not apply to --objective spin (pairs train with the policy checkpoint's template)");
                if (p.GetValue(targetWeight) is not null) throw new UserInputException("--target-weight applies only to --objective target-sft");
                if (p.GetValue(accum) != 1) throw new UserInputException("--grad-accumulation is not supported with --objective spin");
                var pairsDir = p.GetValue(pairs) ?? throw new UserInputException("--objective spin needs --pairs DIR (from `rft pairs`)");
                var spin = new SpinOptions
                {
                    Pairs = await PairData.LoadAsync(pairsDir, ct), PairsSource = pairsDir,
                    ReferenceCheckpoint = p.GetValue(reference) ?? throw new UserInputException("--objective spin needs --reference CHECKPOINT"),
                    InitCheckpoint = p.GetValue(init), OutDir = p.GetValue(outDir)!, Beta = p.GetValue(beta), Epochs = p.GetValue(epochs),
                    Preset = p.GetValue(preset)!, Resume = p.GetValue(resume), Seed = p.GetValue(seed), Threads = p.GetValue(threads),
                    LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch), SaveEverySteps = p.GetValue(saveEvery),
                };
                using (RunFolderLock.Acquire(spin.OutDir)) TrainStage.Render(await TrainStage.RunSpinAsync(spin, ct));
                return CliHost.Ok;
            }
            if (p.GetValue(pairs) is not null || p.GetValue(reference) is not null)
                throw new UserInputException("--pairs and --reference apply only to --objective spin");
            var dataDir = p.GetValue(data) ?? throw new UserInputException($"--objective {p.GetValue(objective)} needs --data DIR");
            var options = new TrainOptions
            {
                Examples = await TrainData.LoadAsync(dataDir, ct), DataSource = dataDir, OutDir = p.GetValue(outDir)!,
                Epochs = p.GetValue(epochs), Preset = p.GetValue(preset)!, InitCheckpoint = p.GetValue(init),
                Objective = ObjectiveOptions.Parse(p.GetValue(objective)!, p.GetValue(targetWeight)), Resume = p.GetValue(resume),
                RecordTrajectories = p.GetValue(trajectories), TrajectoryEverySteps = p.GetValue(trajEvery), Seed = p.GetValue(seed),
                Threads = p.GetValue(threads), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch), GradAccumulation = p.GetValue(accum),
                SaveEverySteps = p.GetValue(saveEvery),
                PromptTemplate = p.GetValue(promptTemplate) is { } t ? PromptTemplate.Parse(t, "--prompt-template") : null,
            };
            if (options.InitCheckpoint is not null) ExportStage.ReportUnrenderedChatTemplate(options.InitCheckpoint);
            // One writer per run folder, for the whole run (taken once the arguments are known good): a second `rft train --out` is refused at once.
            using var held = RunFolderLock.Acquire(options.OutDir);
            TrainStage.Render(await TrainStage.RunAsync(options, ct));
            return CliHost.Ok;
        });
        return cmd;
    }
}
