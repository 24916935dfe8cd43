using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OnnxRftPipeline.TestSupport;
using Xunit.Abstractions;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// SIGTERM to a real `rft serve` with a full queue: every accepted request is answered (or, past --shutdown-grace,
/// refused with 503), then "stopped." and exit 0. The process used to exit 143 about 2 s after the signal
/// (System.CommandLine's termination timeout) and reset the connections of the requests still queued.
/// </summary>
public partial class ServeShutdownTests(ITestOutputHelper log)
{
    const int Requests = 24, MaxTokens = 200;

    /// <summary>A model slow enough that 24 requests, decoded one at a time, keep the queue full for seconds.</summary>
    static string Registry(out string root)
    {
        root = Directory.CreateTempSubdirectory("rft-serve-term-").FullName;
        TinyLlama.ExportModel(Path.Combine(root, "models"), "v1", seed: 5, TinyLlama.Config(hidden: 512, layers: 4, context: 256));
        return Path.Combine(root, "models", TinyLlama.Name);
    }

    static readonly string[] Serve = ["--port", "0", "--threads", "1", "--max-batch-rows", "1", "--batch-window-ms", "0", "--queue-capacity", "64"];

    sealed record Answer(int Status, JsonElement Body, DateTime At);

    static async Task<Answer> Post(HttpClient c, int i)
    {
        try
        {
            var r = await c.PostAsJsonAsync("/v1/completions",
                new { model = "rand", prompt = $"Q: term {i}\n", max_tokens = MaxTokens, temperature = 1.0, seed = i });
            var text = await r.Content.ReadAsStringAsync();
            return new Answer((int)r.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), DateTime.UtcNow);
        }
        catch (HttpRequestException e)   // a connection reset: what a killed service does to its queue
        {
            return new Answer(0, JsonSerializer.SerializeToElement(e.Message), DateTime.UtcNow);
        }
    }

    /// <summary>Waits until every request is in the service (queued, decoding or answered) with most still queued.</summary>
    static async Task WaitAllAccepted(HttpClient c)
    {
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var m = await c.GetStringAsync("/metrics");
            int queued = int.Parse(QueueDepth().Match(m).Groups[1].Value);
            var ok = Answered().Match(m);
            int answered = ok.Success ? int.Parse(ok.Groups[1].Value) : 0;
            // One request decodes at a time (--max-batch-rows 1): queued + answered + 1 running = all of them.
            if (queued + answered == Requests - 1)
            {
                Assert.True(queued >= Requests / 2, $"the queue was not full enough to test a drain: {queued} queued, {answered} answered");
                return;
            }
            if (DateTime.UtcNow > end) throw new TimeoutException($"requests not all accepted: {queued} queued, {answered} answered");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex(@"(?m)^rft_queue_depth (\d+)")]
    private static partial Regex QueueDepth();

    [GeneratedRegex(@"rft_requests_total\{route=""/v1/completions"",code=""200""\} (\d+)")]
    private static partial Regex Answered();

    static void AssertFullAnswer(Answer a)
    {
        Assert.True(a.Status == 200, $"expected 200, got {a.Status}: {a.Body}");
        var choice = Assert.Single(a.Body.GetProperty("choices").EnumerateArray());
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        Assert.Equal(a.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), choice.GetProperty("sampled_tokens").GetInt32());
        Assert.True(choice.GetProperty("sampled_tokens").GetInt32() is > 0 and <= MaxTokens);
    }

    [Fact]
    public async Task Sigterm_with_a_full_queue_answers_every_accepted_request_then_exits_0()
    {
        var modelDir = Registry(out var root);
        try
        {
            var (serve, address) = await ServeProcess.StartAsync([.. Serve, "--model", modelDir]);
            using var _ = serve;
            using var c = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            var requests = Enumerable.Range(0, Requests).Select(i => Post(c, i)).ToList();
            await WaitAllAccepted(c);
            var signalled = DateTime.UtcNow;
            serve.Terminate();
            var code = await serve.WaitForExitAsync(TimeSpan.FromSeconds(40));
            var exitedAfter = DateTime.UtcNow - signalled;
            var answers = await Task.WhenAll(requests);
            int afterSignal = answers.Count(a => a.At > signalled);
            log.WriteLine($"{Requests} requests, {afterSignal} answered after SIGTERM; exit {code} {exitedAfter.TotalSeconds:F1} s after it");
            Assert.All(answers, AssertFullAnswer);
            Assert.True(afterSignal >= Requests / 2, $"only {afterSignal} requests were still to answer at SIGTERM: no drain tested");
            // Answers past System.CommandLine's 2 s termination timeout: the cut-off this test exists for was really passed.
            Assert.Contains(answers, a => a.At - signalled > TimeSpan.FromSeconds(2.5));
            Assert.Contains("stopped.", serve.Stdout);
            Assert.Equal(0, code);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public async Task Past_the_shutdown_grace_the_rest_get_503_and_the_exit_is_still_0()
    {
        var modelDir = Registry(out var root);
        try
        {
            var (serve, address) = await ServeProcess.StartAsync([.. Serve, "--model", modelDir, "--shutdown-grace", "1"]);
            using var _ = serve;
            using var c = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            var requests = Enumerable.Range(0, Requests).Select(i => Post(c, i)).ToList();
            await WaitAllAccepted(c);
            var signalled = DateTime.UtcNow;
            serve.Terminate();
            var code = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));
            var exitedAfter = DateTime.UtcNow - signalled;
            var answers = await Task.WhenAll(requests);
            var refused = answers.Where(a => a.Status == 503).ToList();
            log.WriteLine($"{Requests} requests: {answers.Count(a => a.Status == 200)} answered 200, {refused.Count} 503; exit {code} {exitedAfter.TotalSeconds:F1} s after SIGTERM");
            Assert.NotEmpty(refused);
            Assert.All(refused, a => Assert.Equal("shutting_down", a.Body.GetProperty("error").GetProperty("code").GetString()));
            Assert.All(answers.Where(a => a.Status != 503), AssertFullAnswer);
            Assert.True(exitedAfter < TimeSpan.FromSeconds(10), $"exit took {exitedAfter.TotalSeconds:F1} s with a 1 s grace");
            Assert.Contains("stopped.", serve.Stdout);
            Assert.Equal(0, code);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
