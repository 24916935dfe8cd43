using System.Globalization;
using OnnxRftPipeline.Cli.Output;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Service.Client;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 4, sample: K verified candidates per (hard) prompt, with the local ONNX Runtime sampler or through `rft serve`.</summary>
public static class SampleStage
{
    /// <summary>Runs a sampling job under a progress bar of prompts, with token throughput in the description.</summary>
    public static Task<SampleSummary> RunAsync(SampleJobOptions options, CancellationToken ct) =>
        ProgressView.RunAsync("prompts", async ctx =>
        {
            var task = ctx.AddTask("sampling", maxValue: 1);
            var started = DateTime.UtcNow;
            var progress = new Progress<SampleProgress>(x =>
            {
                task.MaxValue = Math.Max(1, x.PromptsTotal);
                task.Value = x.PromptsDone;
                var secs = Math.Max(1e-3, (DateTime.UtcNow - started).TotalSeconds);
                task.Description = string.Create(CultureInfo.InvariantCulture, $"sampling ({x.Tokens} tokens, {x.Tokens / secs:F0} tok/s)");
            });
            var s = await SampleJob.RunAsync(options, progress, ct);
            task.Value = task.MaxValue;
            return s;
        });

    /// <summary>
    /// `--service`: the same job with candidates drawn by the service through the resilient (Polly) client.
    /// <paramref name="requireVersion"/> pins the model version every candidate must come from (the cycle uses it).
    /// </summary>
    public static Task<SampleSummary> RunRemoteAsync(SampleJobOptions options, string url, string? apiKey, int concurrency, CancellationToken ct,
        string? requireVersion = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--service must be an http(s) URL, got '{url}'");
        if (concurrency < 1) throw new ArgumentException($"--concurrency must be >= 1, got {concurrency}");
        return ProgressView.RunAsync("prompts", async ctx =>
        {
            using var client = new CompletionsClient(uri, apiKey);
            var task = ctx.AddTask("sampling via service", maxValue: 1);
            var progress = new Progress<SampleProgress>(x =>
            {
                task.MaxValue = Math.Max(1, x.PromptsTotal);
                task.Value = x.PromptsDone;
                task.Description = string.Create(CultureInfo.InvariantCulture, $"sampling via service ({x.Tokens} tokens, {client.Retries} retries)");
            });
            var s = await RemoteSampleJob.RunAsync(options, client, url, progress, concurrency, ct, requireVersion);
            task.Value = task.MaxValue;
            return s;
        });
    }

    public static void Render(SampleSummary s)
    {
        var t = new Table().Title($"candidates → {Markup.Escape(s.OutDir)}")
            .AddColumns("prompts", "resumed", "candidates", "distinct", "accepted", "prompts with accepted", "tokens", "tokens/s", "seconds");
        t.AddRow(new object[] { s.Prompts, s.PromptsResumed, s.Candidates, s.DistinctCandidates, s.Accepted, s.PromptsWithAccepted, s.SampledTokens,
                s.SampledTokens / Math.Max(1e-3, s.Seconds), s.Seconds }
            .Select(x => x is double d ? d.ToString("F1", CultureInfo.InvariantCulture) : Convert.ToString(x, CultureInfo.InvariantCulture)!).ToArray());
        AnsiConsole.Write(t);
    }

    /// <summary>
    /// What the candidate files in <paramref name="outDir"/> hold, counted from the files themselves: a resumed job's summary counts
    /// only the prompts of its own attempt, the files every finished part.
    /// </summary>
    public static async Task<SampleSummary> CountAsync(string outDir, int promptsResumed, double seconds, string modelVersion, CancellationToken ct)
    {
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(outDir, ct);
        return new SampleSummary(rows.Select(r => r.PromptId).Distinct(StringComparer.Ordinal).Count(), promptsResumed,
            rows.Sum(r => (long)r.DuplicateCount), rows.Count, rows.Count(r => r.Accepted),
            rows.Where(r => r.Accepted).Select(r => r.PromptId).Distinct(StringComparer.Ordinal).Count(),
            rows.Sum(r => (long)r.GeneratedTokens * r.DuplicateCount), seconds, Path.GetFullPath(outDir), modelVersion);
    }
}
