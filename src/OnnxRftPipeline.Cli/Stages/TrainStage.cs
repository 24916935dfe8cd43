using System.Globalization;
using OnnxRftPipeline.Cli.Output;
using OnnxRftPipeline.Trainer.Training;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 1, train: SFT (CE or Target-SFT) with per-example loss trajectories, or SPIN contrastive SFT on pairs.</summary>
public static class TrainStage
{
    /// <summary>SFT under a bar of optimizer steps; <paramref name="observe"/> sees every report synchronously on the training thread.</summary>
    public static Task<TrainResult> RunAsync(TrainOptions options, CancellationToken ct, Action<TrainProgress>? observe = null) =>
        ProgressView.RunBarAsync<TrainResult, TrainProgress>("steps", "training", x => (x.Step, x.TotalSteps, x.Phase == "train"
                ? string.Create(CultureInfo.InvariantCulture, $"epoch {x.Epoch}/{x.Epochs} loss {x.Loss:F3} {x.TokensPerSecond:F0} tok/s")
                : $"epoch {x.Epoch}/{x.Epochs} {x.Phase}"),
            p => SftTrainer.RunAsync(options, ProgressView.Tap(p, observe), ct));

    /// <summary>SPIN under the same bar, with margin and accuracy in the description.</summary>
    public static Task<SpinResult> RunSpinAsync(SpinOptions options, CancellationToken ct, Action<TrainProgress>? observe = null) =>
        ProgressView.RunBarAsync<SpinResult, SpinProgress>("steps", "spin", x => (x.Train.Step, x.Train.TotalSteps, string.Create(CultureInfo.InvariantCulture,
                $"spin epoch {x.Train.Epoch}/{x.Train.Epochs} loss {x.Train.Loss:F3} margin {x.Margin:F3} acc {x.Accuracy:P0} {x.Train.TokensPerSecond:F0} tok/s")),
            p => SpinTrainer.RunAsync(options, ProgressView.Tap(p, observe is null ? null : (SpinProgress s) => observe(s.Train)), ct));

    public static void Render(TrainResult r)
    {
        var t = new Table().Title($"trained → {Markup.Escape(r.CheckpointDir)}")
            .AddColumns("parameters", "steps", "epoch mean losses", "tokens/s", "train seconds", "trajectory share of epoch time");
        t.AddRow(r.ParameterCount.ToString("N0", CultureInfo.InvariantCulture), r.GlobalSteps.ToString(CultureInfo.InvariantCulture),
            string.Join(" → ", r.EpochMeanLosses.Select(l => l.ToString("F3", CultureInfo.InvariantCulture))),
            r.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture), r.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture),
            r.TrajectoryShare.ToString("P1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(t);
    }

    public static void Render(SpinResult r)
    {
        static string F(double x, string f = "F3") => x.ToString(f, CultureInfo.InvariantCulture);
        static string Metrics(SpinMetrics? m) => m is null ? "—" : $"{F(m.Loss)} / {F(m.Margin)} / {F(m.Accuracy, "P1")}";
        var t = new Table().Title($"spin → {Markup.Escape(r.CheckpointDir)}")
            .AddColumns("parameters", "steps", "epoch mean losses", "start loss / margin / acc", "end loss / margin / acc", "tokens/s", "train seconds");
        t.AddRow(r.ParameterCount.ToString("N0", CultureInfo.InvariantCulture), r.GlobalSteps.ToString(CultureInfo.InvariantCulture),
            string.Join(" → ", r.EpochMeanLosses.Select(l => F(l))), Metrics(r.Initial), Metrics(r.Final), F(r.TokensPerSecond, "F0"), F(r.TrainSeconds, "F1"));
        AnsiConsole.Write(t);
    }
}
