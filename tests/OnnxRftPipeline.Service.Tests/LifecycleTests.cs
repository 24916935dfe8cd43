using System.Text.Json;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>Graceful shutdown and model hot swap while requests are in flight.</summary>
public class LifecycleTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task Stopping_drains_in_flight_requests()
    {
        var host = await ServiceFixture.StartAsync(f.Options() with { MaxBatchRows = 2, BatchWindow = TimeSpan.Zero });
        using var c = ServiceFixture.ClientFor(host);
        using var expected = new Expected(f.ModelDir);
        var requests = Enumerable.Range(0, 6).Select(i => Wire.PostAsync(c, "/v1/completions",
            new { model = "rand", prompt = $"Q: drain {i}\n", max_tokens = 40, temperature = 1.0, seed = i })).ToList();
        await LoadTests.WaitUntil(() => host.Scheduler.Accepted == 6, TimeSpan.FromSeconds(30));
        await host.StopAsync();
        for (int i = 0; i < 6; i++)
        {
            var (status, json, _) = await requests[i];
            Assert.Equal(200, status);
            Assert.Equal(expected.Text($"Q: drain {i}\n", i, 1.0, 40), Wire.Text(json));
        }
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => c.GetAsync("/healthz"));
        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_new_version_is_swapped_in_without_failing_in_flight_requests()
    {
        var root = ServiceFixture.NewRegistry(out var modelDir);
        try
        {
            await using var host = await ServiceFixture.StartAsync(f.Options() with { Model = modelDir, ModelPollInterval = TimeSpan.FromMilliseconds(100) });
            using var c = ServiceFixture.ClientFor(host);
            var v1 = host.Models.Current;
            var greedy = new { model = "rand", prompt = "Q: swap\n", max_tokens = 16, temperature = 0 };
            var before = Wire.Text(await Wire.OkAsync(c, greedy));

            var fingerprints = new System.Collections.Concurrent.ConcurrentBag<string>();
            var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            int afterSwap = 0;
            // Four clients, each at most 100 requests, until a few have been answered by the new version.
            var clients = Enumerable.Range(0, 4).Select(async w =>
            {
                for (int i = 0; i < 100 && Volatile.Read(ref afterSwap) < 8 && !stop.IsCancellationRequested; i++)
                {
                    var (status, json, _) = await Wire.PostAsync(c, "/v1/completions",
                        new { model = "rand", prompt = $"Q: {w}.{i}\n", max_tokens = 24, temperature = 1.0, seed = i });
                    statuses.Add(status);
                    if (status != 200) continue;
                    var fp = json.GetProperty("system_fingerprint").GetString()!;
                    fingerprints.Add(fp);
                    if (fp.EndsWith("/v2")) Interlocked.Increment(ref afterSwap);
                }
            }).ToList();
            // Swap only once v1 has answered (a fixed delay raced the clients' first answers on a loaded machine); the
            // clients keep requests in flight through the swap.
            await LoadTests.WaitUntil(() => fingerprints.Contains("rand/v1"), TimeSpan.FromSeconds(30));
            TinyLlama.ExportModel(Path.Combine(root, "models"), "v2", seed: 12);   // staged under a dot name, then renamed in
            await Task.WhenAll(clients);

            Assert.All(statuses, s => Assert.Equal(200, s));
            Assert.Contains("rand/v1", fingerprints);
            Assert.Contains("rand/v2", fingerprints);
            Assert.Equal("v2", host.Models.Current.Version);
            await LoadTests.WaitUntil(() => v1.IsDisposed, TimeSpan.FromSeconds(30));   // released once its last batch ended
            var after = await Wire.OkAsync(c, greedy);
            Assert.Equal("rand/v2", after.GetProperty("system_fingerprint").GetString());
            Assert.NotEqual(before, Wire.Text(after));   // different weights, different greedy text
            var models = JsonDocument.Parse(await c.GetStringAsync("/v1/models")).RootElement;
            Assert.Equal("v2", models.GetProperty("data")[0].GetProperty("version").GetString());
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }

    [Fact]
    public async Task A_broken_new_version_is_skipped_and_the_old_one_keeps_serving()
    {
        var root = ServiceFixture.NewRegistry(out var modelDir);
        try
        {
            await using var host = await ServiceFixture.StartAsync(f.Options() with { Model = modelDir, ModelPollInterval = TimeSpan.FromHours(1) });
            using var c = ServiceFixture.ClientFor(host);
            var broken = Path.Combine(modelDir, "v9");
            Directory.CreateDirectory(broken);
            File.WriteAllText(Path.Combine(broken, "genai_config.json"), "{ not json");
            Assert.False(host.Models.CheckForNewVersion());
            Assert.Equal("v1", host.Models.Current.Version);
            await Wire.OkAsync(c, new { model = "rand", prompt = "Q: still\n", max_tokens = 4 });
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }

    [Fact]
    public async Task A_version_first_seen_half_copied_is_swapped_in_once_the_copy_completes()
    {
        var root = ServiceFixture.NewRegistry(out var modelDir);
        try
        {
            var staged = TinyLlama.ExportModel(Path.Combine(root, "staging"), "v2", seed: 12);
            var logs = new ErrorLogs();
            await using var host = await ServiceFixture.StartAsync(f.Options() with { Model = modelDir, ModelPollInterval = TimeSpan.FromMilliseconds(100) }, logs);
            using var c = ServiceFixture.ClientFor(host);

            // Step 1: the folder without rft_model.json, as a copy that has not finished yet leaves it.
            var v2 = Directory.CreateDirectory(Path.Combine(modelDir, "v2")).FullName;
            foreach (var file in Directory.GetFiles(staged).Where(p => Path.GetFileName(p) != "rft_model.json"))
                File.Copy(file, Path.Combine(v2, Path.GetFileName(file)));
            await LoadTests.WaitUntil(() => !logs.Errors.IsEmpty, TimeSpan.FromSeconds(30));
            await Task.Delay(1000);   // ten more polls of the unchanged folder
            Assert.Equal("v1", host.Models.Current.Version);
            var error = Assert.Single(logs.Errors);   // once for this state of the folder, not once per poll
            Assert.Contains("rft_model.json", error);
            await Wire.OkAsync(c, new { model = "rand", prompt = "Q: meanwhile\n", max_tokens = 4 });

            // Step 2: the rest of the copy arrives; the service moves to v2 on a following poll.
            File.Copy(Path.Combine(staged, "rft_model.json"), Path.Combine(v2, "rft_model.json"));
            await LoadTests.WaitUntil(() => host.Models.Current.Version == "v2", TimeSpan.FromSeconds(10));
            var after = await Wire.OkAsync(c, new { model = "rand", prompt = "Q: after\n", max_tokens = 4 });
            Assert.Equal("rand/v2", after.GetProperty("system_fingerprint").GetString());
            Assert.Single(logs.Errors);
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }

    [Fact]
    public async Task A_version_that_keeps_failing_is_retried_with_a_backoff_and_logged_once()
    {
        var root = ServiceFixture.NewRegistry(out var modelDir);
        try
        {
            var logs = new ErrorLogs();
            await using var host = await ServiceFixture.StartAsync(f.Options() with { Model = modelDir, ModelPollInterval = TimeSpan.FromMilliseconds(100) },
                logs, Microsoft.Extensions.Logging.LogLevel.Debug);
            var broken = Directory.CreateDirectory(Path.Combine(modelDir, "v9")).FullName;
            File.WriteAllText(Path.Combine(broken, "genai_config.json"), "{ not json");
            await LoadTests.WaitUntil(() => !logs.Errors.IsEmpty, TimeSpan.FromSeconds(30));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(3200);   // about 30 polls
            // Unchanged, it is tried again after 0.1, 0.2, 0.4, 0.8, 1.6 s …: a handful of tries, each logged at debug level only.
            int retries = logs.Retries.Count;
            Assert.True(retries is >= 2 and <= 6, $"{retries} retries in {watch.Elapsed.TotalSeconds:F1} s");
            Assert.Single(logs.Errors);
            File.WriteAllText(Path.Combine(broken, "genai_config.json"), "{ still not json");   // a change: tried and logged again
            await LoadTests.WaitUntil(() => logs.Errors.Count == 2, TimeSpan.FromSeconds(10));
            Assert.Equal("v1", host.Models.Current.Version);
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }

    /// <summary>Error-level log lines and the debug lines of retries, to count how often a failing version is tried and reported.</summary>
    sealed class ErrorLogs : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();
        public System.Collections.Concurrent.ConcurrentQueue<string> Retries { get; } = new();
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            if (logLevel >= Microsoft.Extensions.Logging.LogLevel.Error) Errors.Enqueue(line);
            else if (line.Contains("still fails to load")) Retries.Enqueue(line);
        }
        public void Dispose() { }
    }

    [Fact]
    public async Task A_model_with_an_in_place_kv_cache_is_refused_with_a_clear_error()
    {
        var root = ServiceFixture.NewRegistry(out var modelDir);
        try
        {
            var config = Path.Combine(modelDir, "v1", "genai_config.json");
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
            json["search"]!["past_present_share_buffer"] = true;
            File.WriteAllText(config, json.ToJsonString());
            var e = await Assert.ThrowsAsync<NotSupportedException>(() => ServiceFixture.StartAsync(f.Options() with { Model = modelDir }));
            Assert.Contains("past_present_share_buffer", e.Message);
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }
}
