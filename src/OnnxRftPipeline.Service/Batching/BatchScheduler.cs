using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Service.Metrics;
using OnnxRftPipeline.Service.Models;

namespace OnnxRftPipeline.Service.Batching;

/// <summary>
/// Dynamic batching: requests wait in a bounded queue; the scheduler takes the oldest, lets compatible ones
/// (same sampling settings apart from the seed) join for up to the batch window or until the batch holds
/// MaxBatchRows rows, and decodes them in shared forward passes on one dedicated thread. A request's n
/// candidates are one PromptRequest, so they share one prefill. A batch is cancelled when every request
/// in it has gone (client disconnect or timeout); one request leaving only stops waiting for the batch.
/// Stopping drains: queued requests are still answered, new ones are refused.
/// </summary>
public sealed class BatchScheduler : IHostedService, IDisposable
{
    readonly ServiceOptions _o;
    readonly ModelRegistry _models;
    readonly ServiceMetrics _metrics;
    readonly ILogger<BatchScheduler> _log;
    readonly Channel<CompletionWork> _queue;
    readonly CancellationTokenSource _abort = new();
    CompletionWork? _carry;     // read from the queue but not compatible with the batch being formed
    Thread? _thread;
    readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BatchScheduler(ServiceOptions o, ModelRegistry models, ServiceMetrics metrics, ILogger<BatchScheduler> log)
    {
        _o = o; _models = models; _metrics = metrics; _log = log;
        _queue = Channel.CreateBounded<CompletionWork>(new BoundedChannelOptions(o.QueueCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Requests waiting for a batch (queued plus one held back as incompatible).</summary>
    public int QueueDepth => _queue.Reader.Count + (Volatile.Read(ref _carry) is null ? 0 : 1);

    public bool Accepting { get; private set; } = true;

    long _accepted, _batches, _cancelledBatches;
    /// <summary>Requests taken into the queue so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);
    /// <summary>Batches whose decoding started.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Batches stopped mid-decode because every request in them went away.</summary>
    public long CancelledBatches => Interlocked.Read(ref _cancelledBatches);

    /// <summary>False when the queue is full (answer 429) or the service is stopping (503).</summary>
    public bool TryEnqueue(CompletionWork work)
    {
        if (!_queue.Writer.TryWrite(work)) return false;
        Interlocked.Increment(ref _accepted);
        _metrics.SetQueueDepth(QueueDepth);
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "rft-batch-scheduler" };
        _thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking requests and finishes the queued ones; if the host gives up waiting, aborts the batch.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Accepting = false;
        _queue.Writer.TryComplete();
        if (_thread is null) return;
        using var reg = cancellationToken.Register(() => _abort.Cancel());
        await _stopped.Task;
    }

    void Loop()
    {
        try
        {
            while (true)
            {
                var batch = NextBatch();
                if (batch is null) break;
                RunBatch(batch);
            }
        }
        catch (Exception e) { _log.LogCritical(e, "batch scheduler stopped"); }
        finally
        {
            // Whatever is still queued after an abort is cancelled, never left hanging.
            while (_queue.Reader.TryRead(out var w)) w.Cancel();
            _carry?.Cancel();
            _stopped.TrySetResult();
        }
    }

    /// <summary>The oldest request plus compatible ones arriving within the window; null once stopped and drained.</summary>
    List<CompletionWork>? NextBatch()
    {
        var first = Interlocked.Exchange(ref _carry, null) ?? Read(Timeout.InfiniteTimeSpan);
        if (first is null) return null;
        var batch = new List<CompletionWork> { first };
        int rows = first.Rows;
        var deadline = DateTime.UtcNow + _o.BatchWindow;
        while (rows < _o.MaxBatchRows)
        {
            var left = deadline - DateTime.UtcNow;
            var next = _queue.Reader.TryRead(out var w) ? w : left > TimeSpan.Zero ? Read(left) : null;
            if (next is null) break;
            if (next.Key != first.Key || rows + next.Rows > _o.MaxBatchRows) { _carry = next; break; }
            batch.Add(next);
            rows += next.Rows;
        }
        _metrics.SetQueueDepth(QueueDepth);
        return batch;
    }

    /// <summary>Waits up to <paramref name="wait"/> for a request; null on timeout or when the queue is completed and empty.</summary>
    CompletionWork? Read(TimeSpan wait)
    {
        using var cts = wait == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(wait);
        try
        {
            while (true)
            {
                if (_queue.Reader.TryRead(out var w)) return w;
                if (!_queue.Reader.WaitToReadAsync(cts.Token).AsTask().GetAwaiter().GetResult()) return null;
            }
        }
        catch (OperationCanceledException) { return null; }
    }

    void RunBatch(List<CompletionWork> batch)
    {
        foreach (var w in batch.Where(w => w.Cancellation.IsCancellationRequested)) w.Cancel();
        batch.RemoveAll(w => w.Cancellation.IsCancellationRequested);
        if (batch.Count == 0) return;

        using var lease = _models.Acquire();
        var model = lease.Model;
        var tok = model.Folder.Tokenizer;
        var requests = new List<PromptRequest>();
        var promptTokens = new Dictionary<CompletionWork, int[]>();
        var live = new List<CompletionWork>();
        foreach (var w in batch)
        {
            // Tokenized here, with the model that decodes them: a swap may have changed the tokenizer or context.
            var encoded = w.Prompts.Select(p => PromptFormat.EncodePrompt(tok, p)).ToArray();
            int tooLong = Array.FindIndex(encoded, e => e.Length >= model.ContextLength);
            if (tooLong >= 0)
            {
                w.Fail(new RequestRejectedException($"prompt {tooLong} has {encoded[tooLong].Length} tokens; the model's context is {model.ContextLength}", "prompt"));
                continue;
            }
            live.Add(w);
            promptTokens[w] = encoded.Select(e => e.Length).ToArray();
            // The request's seed goes into the prompt id the engine derives each row's random stream from,
            // so a request's text depends on its seed and prompts only, never on what it was batched with.
            for (int i = 0; i < encoded.Length; i++)
                requests.Add(new PromptRequest($"{w.Settings.Seed}/{i}", encoded[i], w.N));
        }
        if (live.Count == 0) return;

        using var batchCts = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        int remaining = live.Count;
        var registrations = live.Select(w => w.Cancellation.Register(() =>
        {
            w.Cancel();
            if (Interlocked.Decrement(ref remaining) == 0) batchCts.Cancel();
        })).ToList();
        int rows = requests.Sum(r => r.Candidates);
        _metrics.ObserveBatch(rows);
        Interlocked.Increment(ref _batches);
        try
        {
            var gens = model.Generator.Generate(requests, live[0].Settings with { Seed = 0 }, batchCts.Token, _metrics.AddGeneratedTokens).ToList();
            int at = 0;
            foreach (var w in live)
            {
                w.Complete(new CompletionResult(gens.GetRange(at, w.Rows), promptTokens[w], model, rows));
                at += w.Rows;
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelledBatches);
            foreach (var w in live) w.Cancel();
        }
        catch (Exception e)
        {
            _log.LogError(e, "batch of {Rows} rows failed", rows);
            foreach (var w in live) w.Fail(e);
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    public void Dispose() => _abort.Dispose();
}
