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

    /// <summary>The task's measured speed with a unit (Spectre's own speed column assumes bytes).</summary>
    sealed class RateColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} {unit}/s") : "–");
    }
}
