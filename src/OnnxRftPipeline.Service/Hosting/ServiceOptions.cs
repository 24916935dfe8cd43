using OnnxRftPipeline.Contracts.Runtime;
using System.Net;

namespace OnnxRftPipeline.Service.Hosting;

/// <summary>Everything `rft serve` is told. <see cref="Validate"/> turns unsafe or impossible settings into errors.</summary>
public sealed record ServiceOptions
{
    /// <summary>models/NAME (newest version served, new versions swapped in) or one version folder (served as is).</summary>
    public required string Model { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (tests); the bound address is reported by <see cref="ServiceHost.Urls"/>.</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Bearer key required on /v1/* and /metrics; null = no key (loopback binds only).</summary>
    public string? ApiKey { get; init; }
    /// <summary>Folder that sampling-job paths must resolve into; null disables the sampling-jobs endpoints.</summary>
    public string? DataRoot { get; init; }
    /// <summary>Most candidate rows decoded together (prompts × n of the requests in the decode loop).</summary>
    public int MaxBatchRows { get; init; } = 32;
    /// <summary>When the decode loop is idle, how long a first request waits for others to share its prefill.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Requests waiting for a batch; one more is answered 429.</summary>
    public int QueueCapacity { get; init; } = 64;
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;
    /// <summary>A request still unanswered after this is cancelled (its rows stop decoding) and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>
    /// After a stop signal (SIGTERM, Ctrl+C), how long the accepted requests (queued and running) get to be answered
    /// before the rest are cancelled with 503. Null: <see cref="RequestTimeout"/>, by which every accepted request has
    /// its answer anyway (200, or 504 at its own timeout), so the default drains a full queue whatever the model.
    /// </summary>
    public TimeSpan? ShutdownGrace { get; init; }
    public TimeSpan EffectiveShutdownGrace => ShutdownGrace ?? RequestTimeout;
    /// <summary>Most tokens a request may ask for per choice.</summary>
    public int MaxTokensLimit { get; init; } = 1024;
    /// <summary>How often models/NAME is checked for a newer version.</summary>
    public TimeSpan ModelPollInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>ONNX Runtime intra-op threads (0 = all cores).</summary>
    public int Threads { get; init; }
    /// <summary>cpu, or cuda: ONNX Runtime's CUDA provider for every model version loaded (an error where it is missing).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    /// <summary>Log prompt and completion text (off: only sizes and ids are logged).</summary>
    public bool LogPrompts { get; init; }
    /// <summary>Seconds a 429 tells the client to wait (Retry-After).</summary>
    public int RetryAfterSeconds { get; init; } = 1;
    /// <summary>Sampling jobs kept (running, queued or finished) before new ones are refused with 429.</summary>
    public int MaxSamplingJobs { get; init; } = 16;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("--model is required");
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be in 0..65535, got {Port}");
        if (ApiKey is not null && ApiKey.Length < 8) throw new ArgumentException("the API key must be at least 8 characters");
        if (!IsLoopback(Host) && ApiKey is null)
            throw new ArgumentException($"--host {Host} is not a loopback address: refusing to serve it without an API key (pass --api-key-env VAR with the key in $VAR)");
        if (MaxBatchRows < 1) throw new ArgumentException($"--max-batch-rows must be >= 1, got {MaxBatchRows}");
        if (QueueCapacity < 1) throw new ArgumentException($"--queue-capacity must be >= 1, got {QueueCapacity}");
        if (BatchWindow < TimeSpan.Zero) throw new ArgumentException($"--batch-window-ms must be >= 0, got {BatchWindow.TotalMilliseconds}");
        if (MaxRequestBodyBytes < 1024) throw new ArgumentException($"--max-body-bytes must be >= 1024, got {MaxRequestBodyBytes}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("--request-timeout-s must be > 0");
        if (ShutdownGrace < TimeSpan.Zero) throw new ArgumentException($"--shutdown-grace must be >= 0 seconds, got {ShutdownGrace.Value.TotalSeconds}");
        if (RetryAfterSeconds < 0) throw new ArgumentException($"Retry-After seconds must be >= 0, got {RetryAfterSeconds}");
        if (MaxTokensLimit < 1) throw new ArgumentException($"the max_tokens limit must be >= 1, got {MaxTokensLimit}");
        if (Threads < 0) throw new ArgumentException($"--threads must be 0 (all cores) or more, got {Threads}");
        if (DataRoot is not null && !Directory.Exists(DataRoot)) throw new DirectoryNotFoundException($"--data-root {DataRoot}: folder not found");
    }

    /// <summary>localhost and loopback IPs (127.0.0.0/8, ::1); anything else, including 0.0.0.0 and *, is exposed.</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
