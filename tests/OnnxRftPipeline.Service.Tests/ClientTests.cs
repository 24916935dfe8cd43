using System.Net;
using System.Net.Sockets;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Service.Client;
using Polly.CircuitBreaker;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>The Polly client against the real service (and against nothing at all).</summary>
public class ClientTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    static Uri ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task The_client_retries_through_429s_until_every_call_is_answered()
    {
        // One queue slot and one row per batch: ten simultaneous calls overflow it, the client waits out Retry-After.
        await using var host = await ServiceFixture.StartAsync(f.Options() with { QueueCapacity = 1, MaxBatchRows = 1, BatchWindow = TimeSpan.Zero, RetryAfterSeconds = 1 });
        using var client = new CompletionsClient(host.BaseAddress, resilience: new ClientResilience { MaxRetries = 40 });
        using var expected = new Expected(f.ModelDir);
        var calls = Enumerable.Range(0, 10).Select(i => client.CompleteAsync(new CompletionCall
        {
            Model = "rand", Prompt = $"Q: retry {i}\n", MaxTokens = 24, Temperature = 1.0, Seed = 500 + i,
        })).ToList();
        var answers = await Task.WhenAll(calls);
        for (int i = 0; i < 10; i++)
            Assert.Equal(expected.Text($"Q: retry {i}\n", 500 + i, 1.0, 24), answers[i].Choices.Single().Text);
        Assert.True(host.Metrics.Rejected > 0, "the queue should have overflowed for this test to mean anything");
        Assert.True(client.Retries >= host.Metrics.Rejected, $"{client.Retries} retries for {host.Metrics.Rejected} rejections");
    }

    [Fact]
    public async Task Connection_errors_are_retried_a_bounded_number_of_times()
    {
        using var client = new CompletionsClient(ClosedPort(), resilience: new ClientResilience
        {
            MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(5), MinimumThroughput = 100,
        });
        await Assert.ThrowsAsync<HttpRequestException>(() => client.CompleteAsync(new CompletionCall { Model = "rand", Prompt = "x" }));
        Assert.Equal(3, client.Retries);
    }

    [Fact]
    public async Task The_circuit_breaker_opens_on_a_dead_service()
    {
        using var client = new CompletionsClient(ClosedPort(), resilience: new ClientResilience
        {
            MaxRetries = 6, BaseDelay = TimeSpan.FromMilliseconds(5), MinimumThroughput = 2, FailureRatio = 0.5, BreakDuration = TimeSpan.FromMinutes(1),
        });
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.CompleteAsync(new CompletionCall { Model = "rand", Prompt = "x" }));
        // Later calls fail fast while the breaker is open, without touching the network.
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.ModelsAsync());
    }

    [Fact]
    public async Task A_bad_request_is_final_and_not_retried()
    {
        using var client = new CompletionsClient(f.Host.BaseAddress);
        var e = await Assert.ThrowsAsync<ServiceCallException>(() => client.CompleteAsync(new CompletionCall { Model = "nope", Prompt = "x" }));
        Assert.Equal(404, e.Status);
        Assert.Contains("nope", e.Message);
        Assert.Equal(0, client.Retries);
    }

    /// <summary>Five prompts "Q: i+addend" in a fresh folder and a service sampling job over them, two prompts per part.</summary>
    async Task<(string Dir, SampleJobOptions Options)> RemoteJob(string tag, int addend, int k, int maxNewTokens, int seed)
    {
        var dir = Path.Combine(f.Root, tag + "-" + Guid.NewGuid().ToString("N")[..8]);
        await PartFiles.WritePartAsync(Path.Combine(dir, "prompts"), 0, Enumerable.Range(0, 5).Select(i => new SftExample
        {
            Id = $"ex-{i}", Prompt = $"Q: {i}+{addend}\n", Response = $"{i + addend}", Answer = $"{i + addend}", Task = "addition", Source = "test",
        }).ToList());
        return (dir, new SampleJobOptions
        {
            Model = f.Host.BaseAddress.ToString(), Prompts = Path.Combine(dir, "prompts"), OutDir = Path.Combine(dir, "out"), K = k,
            Verifier = "regex:pattern=[0-9]", PromptsPerPart = 2, Sampling = new SamplingSettings { Temperature = 1.0, MaxNewTokens = maxNewTokens, Seed = seed },
        });
    }

    [Fact]
    public async Task Sampling_through_the_service_writes_the_same_kind_of_candidates_as_a_local_job()
    {
        var (dir, o) = await RemoteJob("remote", addend: 1, k: 3, maxNewTokens: 8, seed: 7);
        using var client = new CompletionsClient(f.Host.BaseAddress);
        var summary = await RemoteSampleJob.RunAsync(o, client, f.Host.BaseAddress.ToString());
        Assert.Equal(5, summary.Prompts);
        Assert.Equal(15, summary.Candidates);
        Assert.Equal(3, Directory.GetFiles(o.OutDir, "part-*.parquet").Length);   // 5 prompts, 2 per part
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(o.OutDir);
        Assert.Equal(15, rows.Sum(r => r.DuplicateCount));
        Assert.All(rows, r => { Assert.Equal("v1", r.ModelVersion); Assert.True(r.GeneratedTokens > 0); Assert.True(r.SumLogprob < 0); });

        // Same seed, same candidates: a second run into another folder reproduces the texts.
        var again = await RemoteSampleJob.RunAsync(o with { OutDir = Path.Combine(dir, "again") }, client, f.Host.BaseAddress.ToString());
        var rows2 = await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(dir, "again"));
        Assert.Equal(rows.Select(r => (r.PromptId, r.CandidateIndex, r.Text)).Order(), rows2.Select(r => (r.PromptId, r.CandidateIndex, r.Text)).Order());
        // Without --resume an existing output is refused rather than mixed.
        await Assert.ThrowsAsync<IOException>(() => RemoteSampleJob.RunAsync(o, client, f.Host.BaseAddress.ToString()));
    }

    [Fact]
    public async Task A_killed_service_job_resumed_produces_the_same_files_and_refuses_other_settings()
    {
        var (_, o) = await RemoteJob("remote-resume", addend: 2, k: 2, maxNewTokens: 6, seed: 3);
        using var client = new CompletionsClient(f.Host.BaseAddress);
        await RemoteSampleJob.RunAsync(o, client, f.Host.BaseAddress.ToString());
        var parts = Directory.GetFiles(o.OutDir, "part-*.parquet").Order().ToArray();
        Assert.Equal(3, parts.Length);
        var before = await PartFiles.ReadAllAsync<CandidateRow>(o.OutDir);
        var firstPart = File.ReadAllBytes(parts[0]);
        // A kill after the first part: the later parts never got renamed into place.
        File.Delete(parts[1]);
        File.Delete(parts[2]);
        var resumed = await RemoteSampleJob.RunAsync(o with { Resume = true }, client, f.Host.BaseAddress.ToString());
        Assert.Equal(2, resumed.PromptsResumed);
        Assert.Equal(firstPart, File.ReadAllBytes(parts[0]));
        Assert.Equal(parts, Directory.GetFiles(o.OutDir, "part-*.parquet").Order().ToArray());
        // The same rows, creation time included (it comes from the shard manifest). Texts are seeded per prompt; a
        // service batches requests as they arrive, so log-probs may differ in the last float bits between batchings.
        var after = await PartFiles.ReadAllAsync<CandidateRow>(o.OutDir);
        static (string, int, string, int, bool, DateTime, string) Key(CandidateRow r) =>
            (r.PromptId, r.CandidateIndex, r.Text, r.DuplicateCount, r.Accepted, r.CreatedAt, r.SamplerSettings);
        Assert.Equal(before.Select(Key).Order(), after.Select(Key).Order());
        var logprobs = before.ToDictionary(r => (r.PromptId, r.CandidateIndex), r => r.SumLogprob);
        Assert.All(after, r => Assert.Equal(logprobs[(r.PromptId, r.CandidateIndex)], r.SumLogprob, 1e-4));
        // Other settings (or another service) would mix two jobs in one folder.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => RemoteSampleJob.RunAsync(o with { Resume = true, K = 3 }, client, f.Host.BaseAddress.ToString()));
        Assert.Contains("other settings", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => RemoteSampleJob.RunAsync(o with { Resume = true }, client, "http://elsewhere:1/"));
        Assert.Contains("other settings", e.Message);
    }
}
