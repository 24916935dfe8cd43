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
/// Continuous batching: requests wait in a bounded queue and join the running decode loop between forward passes
/// (up to MaxBatchRows candidate rows), each with its own sampling settings; a request's n candidates share one
/// prefill. When the loop is idle, the first request waits up to the batch window for others to share its prefill.
/// A request that goes away (client disconnect or timeout) has its rows withdrawn at the next step. When a new
/// model version is swapped in, the rows running on the old one finish there while new requests wait, then the
/// loop moves to the new version. Stopping drains: queued requests are still answered, new ones are refused.
/// One dedicated thread runs the loop: decoding is CPU-bound and must not hold thread-pool threads Kestrel needs.
/// </summary>
public sealed class BatchScheduler : IHostedService, IDisposable
{
    readonly ServiceOptions _o;
    readonly ModelRegistry _models;
    readonly ServiceMetrics _metrics;
    readonly ILogger<BatchScheduler> _log;
    readonly Channel<CompletionWork> _queue;
    readonly CancellationTokenSource _abort = new();
    readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    CompletionWork? _carry;     // read from the queue but waiting for rows to free up
    Thread? _thread;
    long _accepted, _admissions, _withdrawn;
    /// <summary>Most decode steps a queued request waits for rows to free up before it joins anyway.</summary>
    const int AdmitAfterSteps = 4;
    int _inFlight;

    /// <summary>A request in the decode loop: its generations arrive row by row, in any order.</summary>
    sealed class Running(CompletionWork work, LoadedModel model, int[] promptTokens)
    {
        public readonly CompletionWork Work = work;
        public readonly LoadedModel Model = model;
        public readonly int[] PromptTokens = promptTokens;
        public readonly Generation[] Slots = new Generation[work.Rows];
        public int Remaining = work.Rows;
    }

    /// <summary>The engine's tag for one prompt of a request.</summary>
    sealed record PromptTag(Running Request, int Prompt);

    public BatchScheduler(ServiceOptions o, ModelRegistry models, ServiceMetrics metrics, ILogger<BatchScheduler> log)
    {
        _o = o; _models = models; _metrics = metrics; _log = log;
        _queue = Channel.CreateBounded<CompletionWork>(new BoundedChannelOptions(o.QueueCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Requests waiting to join the decode loop (queued plus one held back for lack of rows).</summary>
    public int QueueDepth => _queue.Reader.Count + (Volatile.Read(ref _carry) is null ? 0 : 1);
    public bool Accepting { get; private set; } = true;
    /// <summary>Requests taken into the queue so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);
    /// <summary>Groups of requests prefilled together and admitted into the decode loop.</summary>
    public long Admissions => Interlocked.Read(ref _admissions);
    /// <summary>Requests whose rows were withdrawn mid-decode because the client went away or timed out.</summary>
    public long Withdrawn => Interlocked.Read(ref _withdrawn);
    /// <summary>Requests decoding now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Rows a sampling job may hold queued or decoding at once: half the batch. With <see cref="EnqueueJobAsync"/> this is the
    /// admission rule between jobs and completions, which share one FIFO queue: a job never has more than half the rows
    /// (at least one prompt's) ahead of or beside a completions request, so completions always keep the other half and
    /// wait behind a bounded amount of job work; and a job's prompt, once queued, is admitted in queue order like any
    /// request (a full queue makes the job wait for room, ahead of new requests), so a stream of completions cannot
    /// starve a job either.
    /// </summary>
    public int JobRows => Math.Max(1, _o.MaxBatchRows / 2);

    /// <summary>Queues a sampling job's work, waiting for room when the queue is full (a job is never answered 429).</summary>
    public async Task EnqueueJobAsync(CompletionWork work, CancellationToken ct)
    {
        try { await _queue.Writer.WriteAsync(work, ct); }
        catch (ChannelClosedException) { throw new OperationCanceledException("the service is stopping"); }
        Interlocked.Increment(ref _accepted);
        _metrics.SetQueueDepth(QueueDepth);
    }

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
        _thread = new Thread(Loop) { IsBackground = true, Name = "rft-decode-loop" };
        _thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops taking requests (new ones get 503) and gives the queued and running ones <paramref name="grace"/> to be
    /// answered; whatever is left then is cancelled (answered 503). Called when the service starts stopping.
    /// </summary>
    public void Drain(TimeSpan grace)
    {
        Accepting = false;
        _queue.Writer.TryComplete();
        try { _abort.CancelAfter(grace); }
        catch (ObjectDisposedException) { }   // already stopped and disposed
    }

    /// <summary>Stops taking requests and finishes the queued and running ones; if the host gives up waiting, aborts them.</summary>
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
        var running = new List<Running>();
        LoadedModel.Lease? lease = null;
        ContinuousBatch? batch = null;
        int waitedSteps = 0;
        void Release()
        {
            batch?.Dispose(); batch = null;
            lease?.Dispose(); lease = null;
        }
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                try
                {
                    if (running.Count == 0)
                    {
                        // Idle: let go of the session (a swapped-out version can be released), then wait for work.
                        Release();
                        var first = Interlocked.Exchange(ref _carry, null) ?? Read(Timeout.InfiniteTimeSpan);
                        if (first is null) break;   // stopped and drained
                        lease = _models.Acquire();
                        batch = new ContinuousBatch(lease.Model.Decoder, lease.Model.Folder.Tokenizer, lease.Model.ContextLength);
                        Admit(batch, lease.Model, running, Gather(first, 0, wait: true));
                    }
                    else if (ReferenceEquals(lease!.Model, _models.Current) && QueueDepth > 0)
                    {
                        // Between steps, queued requests join as far as rows allow. A join costs a prefill pass and a
                        // cache rebuild, so joins are grouped: once a quarter of the rows are free, or after a few steps.
                        if (++waitedSteps >= AdmitAfterSteps || _o.MaxBatchRows - batch!.ActiveRows >= Math.Max(1, _o.MaxBatchRows / 4))
                        {
                            waitedSteps = 0;
                            var next = Interlocked.Exchange(ref _carry, null) ?? (_queue.Reader.TryRead(out var w) ? w : null);
                            if (next is not null) Admit(batch!, lease.Model, running, Gather(next, batch!.ActiveRows, wait: false));
                        }
                    }
                    Withdraw(batch!, running);
                    if (batch!.ActiveRows == 0) continue;
                    _metrics.ObserveBatch(batch.ActiveRows);
                    _metrics.AddGeneratedTokens(batch.ActiveRows);
                    Deliver(batch.Step(), running);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The requests in the loop fail (500); the loop itself goes on with a fresh batch for the next ones.
                    _log.LogError(e, "decode step failed; failing {Count} requests", running.Count);
                    foreach (var r in running) r.Work.Fail(e);
                    running.Clear();
                    Volatile.Write(ref _inFlight, 0);
                    Release();
                }
            }
        }
        finally
        {
            // After an abort, whatever is left is cancelled, never left hanging.
            foreach (var r in running) r.Work.Cancel();
            while (_queue.Reader.TryRead(out var w)) w.Cancel();
            Interlocked.Exchange(ref _carry, null)?.Cancel();
            Release();
            Volatile.Write(ref _inFlight, 0);
            _stopped.TrySetResult();
        }
    }

    /// <summary><paramref name="first"/> plus queued requests while rows allow; when idle, waits up to the batch window for them.</summary>
    List<CompletionWork> Gather(CompletionWork first, int activeRows, bool wait)
    {
        var group = new List<CompletionWork>();
        int rows = activeRows;
        var deadline = DateTime.UtcNow + _o.BatchWindow;
        var next = first;
        while (next is not null)
        {
            // A request larger than the whole batch still runs, alone.
            if (rows > 0 && rows + next.Rows > _o.MaxBatchRows) { _carry = next; break; }
            group.Add(next);
            rows += next.Rows;
            if (rows >= _o.MaxBatchRows) break;
            var left = deadline - DateTime.UtcNow;
            next = _queue.Reader.TryRead(out var w) ? w : wait && left > TimeSpan.Zero ? Read(left) : null;
        }
        _metrics.SetQueueDepth(QueueDepth);
        return group;
    }

    /// <summary>Waits up to <paramref name="wait"/> for a request; null on timeout or when the queue is completed and empty.</summary>
    CompletionWork? Read(TimeSpan wait)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        if (wait != Timeout.InfiniteTimeSpan) cts.CancelAfter(wait);
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

    /// <summary>Tokenizes with the model that decodes them (a swap may change tokenizer or context), prefills, adds the rows.</summary>
    void Admit(ContinuousBatch batch, LoadedModel model, List<Running> running, List<CompletionWork> group)
    {
        var tok = model.Folder.Tokenizer;
        var items = new List<(object Tag, PromptRequest Request, Sampler.Sampling.SamplingSettings Settings)>();
        var admitted = new List<Running>();
        foreach (var w in group)
        {
            if (w.Cancellation.IsCancellationRequested) { w.Cancel(); continue; }
            var encoded = w.Prompts.Select(p => PromptFormat.EncodePrompt(tok, p)).ToArray();
            int tooLong = Array.FindIndex(encoded, e => e.Length >= model.ContextLength);
            if (tooLong >= 0)
            {
                w.Fail(new RequestRejectedException($"prompt {(w.PromptIds is { } ids ? $"'{ids[tooLong]}'" : tooLong)} has {encoded[tooLong].Length} tokens; the model's context is {model.ContextLength}", "prompt"));
                continue;
            }
            var r = new Running(w, model, encoded.Select(e => e.Length).ToArray());
            admitted.Add(r);
            // The request's seed goes into the prompt id each row's random stream derives from (with a fixed
            // engine seed), so a request's text depends on its seed and prompts only, never on its batch-mates.
            // A sampling job's rows keep their prompt ids and the job's seed: the candidates `rft sample` draws.
            for (int i = 0; i < encoded.Length; i++)
                items.Add(w.PromptIds is { } ids
                    ? (new PromptTag(r, i), new PromptRequest(ids[i], encoded[i], w.N), w.Settings)
                    : (new PromptTag(r, i), new PromptRequest($"{w.Settings.Seed}/{i}", encoded[i], w.N), w.Settings with { Seed = 0 }));
        }
        if (items.Count == 0) return;
        IReadOnlyList<ContinuousBatch.Finished> finished;
        try { finished = batch.Admit(items); }
        catch (ArgumentException e)
        {
            foreach (var r in admitted) r.Work.Fail(new RequestRejectedException(e.Message, null));
            return;
        }
        Interlocked.Increment(ref _admissions);
        _metrics.AddGeneratedTokens(items.Sum(i => i.Request.Candidates));
        running.AddRange(admitted);
        Volatile.Write(ref _inFlight, running.Count);
        Deliver(finished, running);
    }

    /// <summary>Files finished rows under their request; a request with all its rows is answered, choices prompt-major.</summary>
    void Deliver(IReadOnlyList<ContinuousBatch.Finished> finished, List<Running> running)
    {
        foreach (var f in finished)
        {
            var (r, prompt) = (PromptTag)f.Tag;
            r.Slots[prompt * r.Work.N + f.Generation.CandidateIndex] = f.Generation;
            if (--r.Remaining == 0)
            {
                r.Work.Complete(new CompletionResult(r.Slots, r.PromptTokens, r.Model));
                running.Remove(r);
            }
        }
        Volatile.Write(ref _inFlight, running.Count);
    }

    /// <summary>Requests whose client left or timed out stop costing work: their rows leave the batch now.</summary>
    void Withdraw(ContinuousBatch batch, List<Running> running)
    {
        foreach (var r in running.Where(r => r.Work.Cancellation.IsCancellationRequested).ToList())
        {
            for (int i = 0; i < r.Work.Prompts.Count; i++) batch.Remove(new PromptTag(r, i));
            r.Work.Cancel();
            running.Remove(r);
            Interlocked.Increment(ref _withdrawn);
        }
        Volatile.Write(ref _inFlight, running.Count);
    }

    public void Dispose() => _abort.Dispose();
}
