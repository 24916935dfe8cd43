using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace OnnxRftPipeline.Service.Metrics;

/// <summary>
/// The service's counters in Prometheus text exposition format (version 0.0.4). A handful of series, so they are
/// kept here by hand rather than pulling an exporter package into the build.
/// </summary>
public sealed class ServiceMetrics
{
    static readonly double[] LatencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128];

    readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    readonly Histogram _latency = new(LatencyBuckets);
    readonly Histogram _batchRows = new(BatchBuckets);
    long _generated, _promptTokens, _rejected;
    int _queueDepth;
    // Tokens/s over a sliding window of one-second slots (the counter gives Prometheus rate() as well).
    readonly long[] _slots = new long[10];
    long _slotSecond;

    public long GeneratedTokens => Interlocked.Read(ref _generated);
    public long Rejected => Interlocked.Read(ref _rejected);

    public void CountRequest(string route, int status) => _requests.AddOrUpdate((route, status), 1, (_, n) => n + 1);
    public void CountRejected() => Interlocked.Increment(ref _rejected);
    public void ObserveLatency(TimeSpan t) => _latency.Observe(t.TotalSeconds);
    public void ObserveBatch(int rows) => _batchRows.Observe(rows);
    public void AddPromptTokens(int n) => Interlocked.Add(ref _promptTokens, n);
    public void SetQueueDepth(int n) => Volatile.Write(ref _queueDepth, n);

    public void AddGeneratedTokens(int n)
    {
        Interlocked.Add(ref _generated, n);
        long now = Environment.TickCount64 / 1000;
        lock (_slots)
        {
            Advance(now);
            _slots[now % _slots.Length] += n;
        }
    }

    void Advance(long now)
    {
        if (now - _slotSecond >= _slots.Length) Array.Clear(_slots);
        else for (long s = _slotSecond + 1; s <= now; s++) _slots[s % _slots.Length] = 0;
        _slotSecond = Math.Max(_slotSecond, now);
    }

    /// <summary>Tokens per second over the last full seconds of the window.</summary>
    public double TokensPerSecond()
    {
        long now = Environment.TickCount64 / 1000;
        lock (_slots)
        {
            Advance(now);
            long sum = 0;
            for (long s = now - _slots.Length + 1; s < now; s++) sum += _slots[((s % _slots.Length) + _slots.Length) % _slots.Length];
            return sum / (double)(_slots.Length - 1);
        }
    }

    public string Render(int queueDepth, string modelName, string modelVersion, int swaps)
    {
        var b = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        b.AppendLine("# HELP rft_requests_total HTTP requests answered, by route and status code.");
        b.AppendLine("# TYPE rft_requests_total counter");
        foreach (var ((route, status), n) in _requests.OrderBy(x => x.Key.Route).ThenBy(x => x.Key.Status))
            b.Append(c, $"rft_requests_total{{route=\"{route}\",code=\"{status}\"}} {n}\n");
        b.AppendLine("# HELP rft_rejected_total Requests refused with 429 because the queue was full.");
        b.AppendLine("# TYPE rft_rejected_total counter");
        b.Append(c, $"rft_rejected_total {Rejected}\n");
        b.AppendLine("# HELP rft_generated_tokens_total Tokens sampled by the engine.");
        b.AppendLine("# TYPE rft_generated_tokens_total counter");
        b.Append(c, $"rft_generated_tokens_total {GeneratedTokens}\n");
        b.AppendLine("# HELP rft_prompt_tokens_total Prompt tokens of answered completions.");
        b.AppendLine("# TYPE rft_prompt_tokens_total counter");
        b.Append(c, $"rft_prompt_tokens_total {Interlocked.Read(ref _promptTokens)}\n");
        b.AppendLine("# HELP rft_tokens_per_second Generated tokens per second over the last 10 s.");
        b.AppendLine("# TYPE rft_tokens_per_second gauge");
        b.Append(c, $"rft_tokens_per_second {TokensPerSecond():F1}\n");
        b.AppendLine("# HELP rft_queue_depth Requests waiting for a batch.");
        b.AppendLine("# TYPE rft_queue_depth gauge");
        b.Append(c, $"rft_queue_depth {queueDepth}\n");
        _batchRows.Write(b, "rft_batch_rows", "Candidate rows per forward pass (decode step).");
        _latency.Write(b, "rft_request_duration_seconds", "Completions latency from arrival to response.");
        b.AppendLine("# HELP rft_model_info The model version being served.");
        b.AppendLine("# TYPE rft_model_info gauge");
        b.Append(c, $"rft_model_info{{name=\"{Escape(modelName)}\",version=\"{Escape(modelVersion)}\"}} 1\n");
        b.AppendLine("# HELP rft_model_swaps_total New model versions swapped in.");
        b.AppendLine("# TYPE rft_model_swaps_total counter");
        b.Append(c, $"rft_model_swaps_total {swaps}\n");
        return b.ToString();
    }

    static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    sealed class Histogram(double[] bounds)
    {
        readonly long[] _counts = new long[bounds.Length + 1];
        double _sum;
        long _count;

        public void Observe(double x)
        {
            lock (_counts)
            {
                int i = Array.FindIndex(bounds, b => x <= b);
                _counts[i < 0 ? bounds.Length : i]++;
                _sum += x;
                _count++;
            }
        }

        public void Write(StringBuilder b, string name, string help)
        {
            var c = CultureInfo.InvariantCulture;
            b.Append(c, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            lock (_counts)
            {
                long cum = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cum += _counts[i];
                    b.Append(c, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cum}\n");
                }
                cum += _counts[^1];
                b.Append(c, $"{name}_bucket{{le=\"+Inf\"}} {cum}\n{name}_sum {_sum}\n{name}_count {_count}\n");
            }
        }
    }
}
