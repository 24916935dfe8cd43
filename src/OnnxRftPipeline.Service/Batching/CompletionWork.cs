using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Service.Models;

namespace OnnxRftPipeline.Service.Batching;

/// <summary>
/// One completions request waiting for, or decoding in, the decode loop. Its choices come back prompt-major
/// (prompt 0's n candidates, then prompt 1's …), the order OpenAI numbers choices in.
/// A completions request's rows draw from prompt ids "{seed}/{i}" with engine seed 0 (its text depends on its seed and
/// prompts only); a sampling job's work carries its prompts' real ids and the job's seed (<paramref name="promptIds"/>),
/// so it draws exactly the candidates `rft sample` draws locally.
/// </summary>
public sealed class CompletionWork(IReadOnlyList<string> prompts, int n, SamplingSettings settings, CancellationToken ct,
    IReadOnlyList<string>? promptIds = null)
{
    public IReadOnlyList<string> Prompts { get; } = prompts;
    /// <summary>A sampling job's prompt ids (one per prompt), or null for a completions request.</summary>
    public IReadOnlyList<string>? PromptIds { get; } = promptIds;
    public int N { get; } = n;
    /// <summary>Settings including this request's own seed.</summary>
    public SamplingSettings Settings { get; } = settings;
    public CancellationToken Cancellation { get; } = ct;
    public int Rows => Prompts.Count * N;
    public DateTime EnqueuedAt { get; } = DateTime.UtcNow;

    readonly TaskCompletionSource<CompletionResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task<CompletionResult> Done => _done.Task;

    public void Complete(CompletionResult r) => _done.TrySetResult(r);
    public void Fail(Exception e) => _done.TrySetException(e);
    public void Cancel() => _done.TrySetCanceled(Cancellation.IsCancellationRequested ? Cancellation : new CancellationToken(true));
}

/// <summary>What a request gets back: its generations, its prompts' token counts, and the model version that made them.</summary>
public sealed record CompletionResult(IReadOnlyList<Generation> Generations, IReadOnlyList<int> PromptTokens, LoadedModel Model);

/// <summary>A request that cannot be served as asked (mapped to HTTP 400 with the field's name).</summary>
public sealed class RequestRejectedException(string message, string? param) : Exception(message)
{
    public string? Param { get; } = param;
}
