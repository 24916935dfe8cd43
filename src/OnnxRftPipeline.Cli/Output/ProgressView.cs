using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OnnxRftPipeline.Cli.Output;

/// <summary>Spectre progress bars with rate and ETA for long-running work.</summary>
public static class ProgressView
{
    /// <summary>Runs work under a progress display whose rate column reads "<c>N unit/s</c>".</summary>
    public static Task<T> RunAsync<T>(string unit, Func<ProgressContext, Task<T>> work) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new RateColumn(unit), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(work);

    /// <summary>
    /// Runs <paramref name="work"/> under one bar: each progress report <typeparamref name="TProgress"/> is turned by <paramref name="view"/>
    /// into (done, total, description). This is the IProgress every stage reports to; verbs and the cycle choose the bar.
    /// </summary>
    public static Task<T> RunBarAsync<T, TProgress>(string unit, string label, Func<TProgress, (double Done, double Total, string Description)> view,
        Func<IProgress<TProgress>, Task<T>> work) =>
        RunAsync(unit, async ctx =>
        {
            var task = ctx.AddTask(label, maxValue: 1);
            var progress = new Progress<TProgress>(x =>
            {
                var (done, total, description) = view(x);
                task.MaxValue = Math.Max(1, total);
                task.Value = Math.Min(done, task.MaxValue);
                task.Description = description;
            });
            var r = await work(progress);
            task.Value = task.MaxValue;
            return r;
        });

    /// <summary>Reports to <paramref name="display"/> and lets <paramref name="observe"/> see every report synchronously first.</summary>
    public static IProgress<T> Tap<T>(IProgress<T> display, Action<T>? observe) => observe is null ? display : new Tapped<T>(display, observe);

    sealed class Tapped<T>(IProgress<T> display, Action<T> observe) : IProgress<T>
    {
        public void Report(T value) { observe(value); display.Report(value); }
    }

    /// <summary>The task's measured speed with a unit (Spectre's own speed column assumes bytes).</summary>
    sealed class RateColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} {unit}/s") : "–");
    }
}
