using System.Globalization;
using OnnxRftPipeline.Cli.Output;
using OnnxRftPipeline.Trainer.Training;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft train --objective spin` under the same progress bar as SFT, with margin and accuracy in the description.</summary>
public static class SpinRun
{
    public static Task<SpinResult> RunWithProgressAsync(SpinOptions options, CancellationToken ct, Action<TrainProgress>? observe = null) =>
        ProgressView.RunAsync("steps", async ctx =>
        {
            var task = ctx.AddTask("spin", maxValue: 1);
            var progress = new Progress<SpinProgress>(x =>
            {
                task.MaxValue = Math.Max(1, x.Train.TotalSteps);
                task.Value = Math.Min(x.Train.Step, x.Train.TotalSteps);
                task.Description = string.Create(CultureInfo.InvariantCulture,
                    $"spin epoch {x.Train.Epoch}/{x.Train.Epochs} loss {x.Train.Loss:F3} margin {x.Margin:F3} acc {x.Accuracy:P0} {x.Train.TokensPerSecond:F0} tok/s");
            });
            var r = await SpinTrainer.RunAsync(options, new Tap(progress, observe), ct);
            task.Value = task.MaxValue;
            return r;
        });

    sealed class Tap(IProgress<SpinProgress> display, Action<TrainProgress>? observe) : IProgress<SpinProgress>
    {
        public void Report(SpinProgress value) { observe?.Invoke(value.Train); display.Report(value); }
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
