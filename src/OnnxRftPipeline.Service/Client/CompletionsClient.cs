using OnnxRftPipeline.Sampler.Sampling;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace OnnxRftPipeline.Service.Client;

/// <summary>How hard the client tries before giving up.</summary>
public sealed record ClientResilience
{
    public int MaxRetries { get; init; } = 8;
    /// <summary>Median first backoff (exponential with jitter) when the server gives no Retry-After.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>One attempt's limit; a slow attempt is abandoned and retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Share of failed attempts (over at least MinimumThroughput in SamplingDuration) that opens the breaker.</summary>
    public double FailureRatio { get; init; } = 0.8;
    public int MinimumThroughput { get; init; } = 10;
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// A client for the generator service (or any OpenAI-compatible completions endpoint) behind a Polly pipeline:
/// retries with jitter on 429 (honouring Retry-After), 502/503/504, connection errors and attempt timeouts;
/// a per-attempt timeout; a circuit breaker so a dead service is not hammered. 4xx other than 429 are final.
/// </summary>
public sealed class CompletionsClient : IDisposable
{
    readonly HttpClient _http;
    readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    int _retries;

    /// <summary>Retries done so far (every attempt after a first).</summary>
    public int Retries => Volatile.Read(ref _retries);

    public CompletionsClient(Uri baseAddress, string? apiKey = null, ClientResilience? resilience = null)
    {
        var r = resilience ?? new ClientResilience();
        // Attempts are bounded by the pipeline's timeout, not HttpClient's.
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (apiKey is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(m => m.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // An open breaker is retried too: after its break the next attempt probes the service again.
                ShouldHandle = transient.Handle<BrokenCircuitException>(),
                MaxRetryAttempts = r.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = r.BaseDelay,
                MaxDelay = r.MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = _ => { Interlocked.Increment(ref _retries); return ValueTask.CompletedTask; },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                // 429 means "busy", not "broken": only failures count toward opening the breaker.
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>().Handle<TimeoutRejectedException>()
                    .HandleResult(m => m.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout),
                FailureRatio = r.FailureRatio,
                MinimumThroughput = r.MinimumThroughput,
                SamplingDuration = r.SamplingDuration,
                BreakDuration = r.BreakDuration,
            })
            .AddTimeout(r.AttemptTimeout)
            .Build();
    }

    /// <summary>The server's Retry-After plus up to 20% jitter (so rejected clients do not return in lockstep); null = backoff.</summary>
    static TimeSpan? RetryAfter(HttpResponseMessage? m)
    {
        if (m?.Headers.RetryAfter is not { } ra) return null;
        var wait = ra.Delta ?? (ra.Date is { } d ? d - DateTimeOffset.UtcNow : null);
        if (wait is not { } w || w < TimeSpan.Zero) return null;
        return w + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * 0.2 * Math.Max(w.TotalMilliseconds, 100));
    }

    public async Task<CompletionResponse> CompleteAsync(CompletionCall call, CancellationToken ct = default)
    {
        using var response = await _pipeline.ExecuteAsync(async token =>
            await _http.PostAsJsonAsync("/v1/completions", call, token), ct);
        return await ReadAsync<CompletionResponse>(response, ct);
    }

    public async Task<ModelList> ModelsAsync(CancellationToken ct = default)
    {
        using var response = await _pipeline.ExecuteAsync(async token => await _http.GetAsync("/v1/models", token), ct);
        return await ReadAsync<ModelList>(response, ct);
    }

    static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            string message = text;
            try { message = JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("message").GetString() ?? text; }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
            throw new ServiceCallException((int)response.StatusCode, $"service answered {(int)response.StatusCode}: {message}");
        }
        return JsonSerializer.Deserialize<T>(text) ?? throw new ServiceCallException((int)response.StatusCode, "service answered an empty body");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A final (non-retryable, or retries exhausted) error answer from the service.</summary>
public sealed class ServiceCallException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

public sealed record CompletionCall
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    [JsonPropertyName("n")] public int N { get; init; } = 1;
    /// <summary>
    /// What the call asks to sample with (the product's defaults unless set); the wire fields below are views of it.
    /// Its Seed is not sent: <see cref="Seed"/> is (null lets the service draw a fresh one).
    /// </summary>
    [JsonIgnore] public SamplingSettings Sampling { get; init; } = SamplingSettings.Defaults;
    [JsonPropertyName("max_tokens")] public int MaxTokens { get => Sampling.MaxNewTokens; init => Sampling = Sampling with { MaxNewTokens = value }; }
    [JsonPropertyName("temperature")] public double Temperature { get => Sampling.Temperature; init => Sampling = Sampling with { Temperature = value }; }
    [JsonPropertyName("top_p")] public double TopP { get => Sampling.TopP; init => Sampling = Sampling with { TopP = value }; }
    [JsonPropertyName("top_k"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int TopK { get => Sampling.TopK; init => Sampling = Sampling with { TopK = value }; }
    [JsonPropertyName("seed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Seed { get; init; }
    [JsonPropertyName("stop"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Stop { get => Sampling.StopStrings.Count > 0 ? Sampling.StopStrings : null; init => Sampling = Sampling with { StopStrings = value ?? [] }; }
}

public sealed record CompletionResponse
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("system_fingerprint")] public string? SystemFingerprint { get; init; }
    [JsonPropertyName("choices")] public List<CompletionChoice> Choices { get; init; } = [];
    [JsonPropertyName("usage")] public CompletionUsage? Usage { get; init; }
}

public sealed record CompletionChoice
{
    [JsonPropertyName("text")] public string Text { get; init; } = "";
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("finish_reason")] public string FinishReason { get; init; } = "";
    /// <summary>Extensions of this service (absent from other OpenAI-compatible servers).</summary>
    [JsonPropertyName("sampled_tokens")] public int? SampledTokens { get; init; }
    [JsonPropertyName("sum_logprob")] public double? SumLogprob { get; init; }
}

public sealed record CompletionUsage
{
    [JsonPropertyName("prompt_tokens")] public int PromptTokens { get; init; }
    [JsonPropertyName("completion_tokens")] public int CompletionTokens { get; init; }
}

public sealed record ModelList
{
    [JsonPropertyName("data")] public List<ModelEntry> Data { get; init; } = [];
}

public sealed record ModelEntry
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("version")] public string? Version { get; init; }
}
