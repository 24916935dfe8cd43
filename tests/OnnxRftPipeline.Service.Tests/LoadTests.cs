using System.Collections.Concurrent;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>
/// Bounded load on the real service: a fixed number of requests under a time limit. Every answer is compared with
/// the engine's own offline output for that request's prompt and seed, so a lost, duplicated or swapped response fails.
/// </summary>
public class LoadTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    sealed record Outcome(int Request, int Status, string? Text, string? Id, string? RetryAfter, string? Code);

    static async Task<List<Outcome>> RunAsync(HttpClient c, int requests, int concurrency, int maxTokens, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        using var gate = new SemaphoreSlim(concurrency);
        var outcomes = new ConcurrentBag<Outcome>();
        var tasks = Enumerable.Range(0, requests).Select(async i =>
        {
            await gate.WaitAsync(deadline.Token);
            try
            {
                var (status, json, response) = await Wire.PostAsync(c, "/v1/completions",
                    new { model = "rand", prompt = $"Q: {i}+{i}\n", max_tokens = maxTokens, temperature = 1.0, seed = 1000 + i }, deadline.Token);
                outcomes.Add(status == 200
                    ? new Outcome(i, status, Wire.Text(json), json.GetProperty("id").GetString(), null, null)
                    : new Outcome(i, status, null, null, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(),
                        json.ValueKind == System.Text.Json.JsonValueKind.Object ? json.GetProperty("error").GetProperty("code").GetString() : null));
            }
            finally { gate.Release(); }
        }).ToList();
        await Task.WhenAll(tasks);
        return outcomes.OrderBy(o => o.Request).ToList();
    }

    [Fact]
    public async Task Load_below_the_queue_capacity_answers_every_request_once_with_its_own_text()
    {
        // 16 clients can never fill a 64-slot queue: any 429 here would be a bug, and so would any 5xx.
        await using var host = await ServiceFixture.StartAsync(f.Options() with { QueueCapacity = 64, MaxBatchRows = 16 });
        using var c = ServiceFixture.ClientFor(host);
        using var expected = new Expected(f.ModelDir);
        var outcomes = await RunAsync(c, requests: 80, concurrency: 16, maxTokens: 12, TimeSpan.FromSeconds(120));
        Assert.Equal(Enumerable.Range(0, 80), outcomes.Select(o => o.Request));
        Assert.All(outcomes, o => Assert.Equal(200, o.Status));
        Assert.Equal(80, outcomes.Select(o => o.Id).Distinct().Count());
        foreach (var o in outcomes)
            Assert.Equal(expected.Text($"Q: {o.Request}+{o.Request}\n", 1000 + o.Request, 1.0, 12), o.Text);
        Assert.Equal(0, host.Metrics.Rejected);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_the_rest_are_served()
    {
        // One row per batch and two queue slots: 24 simultaneous clients must overflow it.
        await using var host = await ServiceFixture.StartAsync(f.Options() with { QueueCapacity = 2, MaxBatchRows = 1, BatchWindow = TimeSpan.Zero, RetryAfterSeconds = 2 });
        using var c = ServiceFixture.ClientFor(host);
        using var expected = new Expected(f.ModelDir);
        var outcomes = await RunAsync(c, requests: 24, concurrency: 24, maxTokens: 40, TimeSpan.FromSeconds(120));
        Assert.Equal(24, outcomes.Count);
        var rejected = outcomes.Where(o => o.Status == 429).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { 200, 429 }));
        Assert.All(rejected, o => { Assert.Equal("2", o.RetryAfter); Assert.Equal("rate_limit_exceeded", o.Code); });
        Assert.Equal(rejected.Count, host.Metrics.Rejected);
        foreach (var o in outcomes.Where(o => o.Status == 200))
            Assert.Equal(expected.Text($"Q: {o.Request}+{o.Request}\n", 1000 + o.Request, 1.0, 40), o.Text);
    }

    [Fact]
    public async Task Concurrent_requests_share_one_prefill_admission()
    {
        // A long window and a batch of exactly four rows: four concurrent requests fill it, and it is admitted full.
        await using var host = await ServiceFixture.StartAsync(f.Options() with { MaxBatchRows = 4, BatchWindow = TimeSpan.FromSeconds(20) });
        using var c = ServiceFixture.ClientFor(host);
        using var expected = new Expected(f.ModelDir);
        var outcomes = await RunAsync(c, requests: 4, concurrency: 4, maxTokens: 8, TimeSpan.FromSeconds(60));
        Assert.All(outcomes, o => Assert.Equal(200, o.Status));
        Assert.Equal(1, host.Scheduler.Admissions);
        foreach (var o in outcomes)
            Assert.Equal(expected.Text($"Q: {o.Request}+{o.Request}\n", 1000 + o.Request, 1.0, 8), o.Text);
    }

    [Fact]
    public async Task A_request_past_its_timeout_is_answered_504_and_its_decoding_stops()
    {
        await using var host = await ServiceFixture.StartAsync(f.Options() with { RequestTimeout = TimeSpan.FromMilliseconds(1), MaxBatchRows = 64 });
        using var c = ServiceFixture.ClientFor(host);
        const int n = 64, maxTokens = 80;
        var (status, json, _) = await Wire.PostAsync(c, "/v1/completions", new { model = "rand", prompt = "Q: 1\n", n, max_tokens = maxTokens, temperature = 1.0 });
        Assert.Equal(504, status);
        Assert.Equal("timeout", json.GetProperty("error").GetProperty("type").GetString());
        // The rows are withdrawn (or never admitted): far fewer tokens than the full request.
        await WaitUntil(() => host.Scheduler.QueueDepth == 0 && host.Scheduler.InFlight == 0, TimeSpan.FromSeconds(30));
        Assert.True(host.Metrics.GeneratedTokens < n * maxTokens, $"{host.Metrics.GeneratedTokens} tokens generated for a cancelled request");
    }

    [Fact]
    public async Task A_client_that_disconnects_has_its_rows_withdrawn_mid_decode()
    {
        await using var host = await ServiceFixture.StartAsync(f.Options() with { MaxBatchRows = 64 });
        using var c = ServiceFixture.ClientFor(host);
        const int n = 64, maxTokens = 85;
        using var gone = new CancellationTokenSource();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var request = Wire.PostAsync(c, "/v1/completions", new { model = "rand", prompt = "Q: 1\n", n, max_tokens = maxTokens, temperature = 1.0 }, gone.Token);
        await WaitUntil(() => host.Scheduler.InFlight == 1, TimeSpan.FromSeconds(30));
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await WaitUntil(() => host.Scheduler.InFlight == 0, TimeSpan.FromSeconds(30));
        Assert.Equal(1, host.Scheduler.Withdrawn);
        Assert.True(host.Metrics.GeneratedTokens < n * maxTokens, $"{host.Metrics.GeneratedTokens} tokens generated for a withdrawn request");
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var end = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > end) throw new TimeoutException("condition not reached in time");
            await Task.Delay(2);
        }
    }
}
