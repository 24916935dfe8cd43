using System.Globalization;
using OnnxRftPipeline.Cli.Output;
using OnnxRftPipeline.Sampler.Jobs;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 7, eval: greedy pass@1 (and sampled pass@k) of a model on held-out examples, to eval.json and Parquet.</summary>
public static class EvalStage
{
    public static Task<EvalSummary> RunAsync(EvalOptions o, CancellationToken ct) =>
        ProgressView.RunBarAsync<EvalSummary, SampleProgress>("answers", "evaluating", x => (x.PromptsDone, x.PromptsTotal, "evaluating"),
            p => EvalJob.RunAsync(o, p, ct));

    public static void Render(EvalSummary s, string outDir) =>
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"[green]eval[/] {s.Model} on {s.Examples} examples: greedy pass@1 [bold]{s.GreedyAccuracy:P1}[/]{(s.PassAtK is { } pk ? $", pass@{s.K} {pk:P1}" : "")} ({s.Seconds:F1} s) → {outDir}");
}
