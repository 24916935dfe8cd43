using Spectre.Console;

namespace OnnxRftPipeline.Cli.Output;

/// <summary>Spectre progress bars with rate and ETA for long-running work.</summary>
public static class ProgressView
{
    public static Task<T> RunAsync<T>(Func<ProgressContext, Task<T>> work) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new TransferSpeedColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(work);
}
