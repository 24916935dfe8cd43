using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Service.Security;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>Safe defaults: loopback unless keyed, bearer keys on /v1 and /metrics, prompts kept out of logs.</summary>
public class SecurityTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    const string Key = "test-key-0123456789";

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("*")]
    [InlineData("10.1.2.3")]
    [InlineData("::")]
    public async Task A_non_loopback_bind_without_a_key_is_refused(string host)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ServiceFixture.StartAsync(f.Options() with { Host = host }));
        Assert.Contains("API key", e.Message);
        Assert.Contains(host, e.Message);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("192.168.0.1", false)]
    public void Loopback_is_recognised(string host, bool loopback) => Assert.Equal(loopback, ServiceOptions.IsLoopback(host));

    [Fact]
    public async Task With_a_key_v1_and_metrics_need_it_and_health_probes_do_not()
    {
        await using var host = await ServiceFixture.StartAsync(f.Options() with { ApiKey = Key });
        using var anonymous = ServiceFixture.ClientFor(host);
        using var wrong = ServiceFixture.ClientFor(host, "test-key-0123456788");
        using var shorter = ServiceFixture.ClientFor(host, "test");
        using var right = ServiceFixture.ClientFor(host, Key);
        var body = new { model = "rand", prompt = "Q: 1\n", max_tokens = 2 };
        foreach (var c in new[] { anonymous, wrong, shorter })
        {
            var (status, json, response) = await Wire.PostAsync(c, "/v1/completions", body);
            Assert.Equal(401, status);
            Assert.Equal("invalid_api_key", json.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/v1/models")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/metrics")).StatusCode);
        }
        await Wire.OkAsync(right, body);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public void The_key_check_accepts_only_the_exact_bearer_key()
    {
        var check = new ApiKeyCheck(Key);
        Assert.True(check.Accepts($"Bearer {Key}"));
        Assert.False(check.Accepts(null));
        Assert.False(check.Accepts(Key));
        Assert.False(check.Accepts($"Bearer {Key}x"));
        Assert.False(check.Accepts($"Bearer {Key[..^1]}"));
        Assert.False(check.Accepts("Basic dXNlcjpwYXNz"));
        Assert.True(new ApiKeyCheck(null).Accepts(null));
    }

    [Fact]
    public async Task Prompts_are_logged_only_when_asked()
    {
        var secret = $"Q: secret-{Guid.NewGuid():N}\n";
        async Task<string> LogsOf(bool logPrompts)
        {
            var logs = new CapturingLogs();
            await using (var host = await ServiceFixture.StartAsync(f.Options() with { LogPrompts = logPrompts }, logs, LogLevel.Debug))
            using (var c = ServiceFixture.ClientFor(host))
                await Wire.OkAsync(c, new { model = "rand", prompt = secret, max_tokens = 2 });
            return string.Join("\n", logs.Lines);
        }
        var quiet = await LogsOf(false);
        Assert.Contains("completion request", quiet);   // the request was logged, just not its text
        Assert.DoesNotContain(secret.Trim(), quiet);
        Assert.Contains(secret.Trim(), await LogsOf(true));
    }

    sealed class CapturingLogs : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
        public void Dispose() { }
    }
}
