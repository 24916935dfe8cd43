using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Service.Batching;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Service.Models;
using OnnxRftPipeline.Service.Security;

namespace OnnxRftPipeline.Service.Jobs;

/// <summary>
/// Sampling jobs run through the existing SampleJob (same part files, resumable, verified) on the served model
/// version, one at a time, drawing their candidates through the service's decode loop (<see cref="ScheduledCandidateSource"/>:
/// no second ONNX Runtime session, and the scheduler's admission rule shares the rows with completions). The table is
/// bounded: when it holds MaxSamplingJobs unfinished jobs, new ones are refused.
/// </summary>
public sealed class SamplingJobs(ServiceOptions o, ModelRegistry models, BatchScheduler scheduler, ILogger<SamplingJobs> log) : IDisposable
{
    readonly ConcurrentDictionary<string, SamplingJob> _jobs = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _one = new(1, 1);
    readonly CancellationTokenSource _stopping = new();

    public SamplingJob? Get(string id) => _jobs.TryGetValue(id, out var j) ? j : null;

    /// <summary>Queues a job; null when too many are unfinished. Finished jobs beyond a few times that are forgotten, oldest first.</summary>
    public SamplingJob? Start(SampleJobOptions options)
    {
        SamplingJob job;
        lock (_jobs)
        {
            if (_jobs.Values.Count(j => !j.IsFinished) >= o.MaxSamplingJobs) return null;
            foreach (var old in _jobs.Values.Where(j => j.IsFinished).OrderByDescending(j => j.CreatedAt).Skip(4 * o.MaxSamplingJobs).ToList())
                _jobs.TryRemove(old.Id, out _);
            // The version being served now; the job keeps it even if a newer one is swapped in meanwhile.
            var model = models.Current;
            job = new SamplingJob($"sjob-{Guid.NewGuid():N}", options with { Model = model.Folder.Dir, Threads = o.Threads }, model);
            _jobs[job.Id] = job;
        }
        _ = Task.Run(() => RunAsync(job));
        return job;
    }

    async Task RunAsync(SamplingJob job)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, _stopping.Token);
        try
        {
            await _one.WaitAsync(linked.Token);
            try
            {
                job.Status = "running";
                // The paths were checked at submit, but the job may have waited while the tree changed: again, now.
                using var paths = JobPaths.Check(o.DataRoot!, job.Options);
                using var source = new ScheduledCandidateSource(scheduler, job.Model);
                var summary = await paths.RunAsync(options => SampleJob.RunAsync(options, source, new Progress(job), linked.Token));
                job.Summary = summary;
                job.Status = "succeeded";
            }
            finally { _one.Release(); }
        }
        catch (OperationCanceledException) { job.Status = "cancelled"; }
        catch (Exception e)
        {
            job.Error = e.Message;
            job.Status = "failed";
            log.LogWarning("sampling job {Id} failed: {Message}", job.Id, e.Message);
        }
        finally { job.Finished.TrySetResult(); }
    }

    sealed class Progress(SamplingJob job) : IProgress<SampleProgress>
    {
        public void Report(SampleProgress value) => job.Progress = value;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}

public sealed class SamplingJob(string id, SampleJobOptions options, LoadedModel model)
{
    /// <summary>The version served when the job was queued: its candidates must all come from it.</summary>
    public LoadedModel Model { get; } = model;
    public string Id { get; } = id;
    public SampleJobOptions Options { get; } = options;
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;
    public volatile string Status = "queued";
    public volatile SampleProgress? Progress;
    public volatile SampleSummary? Summary;
    public volatile string? Error;
    public CancellationTokenSource Cancellation { get; } = new();
    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool IsFinished => Status is "succeeded" or "failed" or "cancelled";

    public object ToJson() => new
    {
        id = Id, @object = "sampling_job", status = Status, created = CreatedAt.ToUnixTimeSeconds(),
        model = Options.Model, prompts = Options.Prompts, output = Options.OutDir, k = Options.K,
        prompts_done = Progress?.PromptsDone ?? 0, prompts_total = Progress?.PromptsTotal ?? 0, tokens = Progress?.Tokens ?? 0,
        error = Error,
        summary = Summary is { } s ? new { prompts = s.Prompts, candidates = s.Candidates, accepted = s.Accepted, sampled_tokens = s.SampledTokens, seconds = s.Seconds } : null,
    };
}
