using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Trainer.Model;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench serve: the generator service under concurrent single-prompt clients against offline batched generation
/// (the engine as `rft sample` drives it) of the same prompts on the same model in the same run; then a sustained
/// load for RSS growth and latency percentiles. The model is a preset with random weights exported to a temp folder.
/// </summary>
static class ServeBench
{
    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "clients", "prompts", "max-tokens", "batch", "load-seconds", "threads", "rounds");
        if (a.Help)
        {
            Console.WriteLine("bench serve [--preset small] [--clients 32] [--prompts 128] [--max-tokens 64] [--batch 32] [--load-seconds 60] [--threads <cores>] [--rounds 3]");
            return 0;
        }
        var preset = a.String("preset", "small");
        int clients = a.Int("clients", 32), promptCount = a.Int("prompts", 128), maxTokens = a.Int("max-tokens", 64), batch = a.Int("batch", 32);
        int loadSeconds = a.Int("load-seconds", 60), threads = a.Int("threads", Environment.ProcessorCount), rounds = a.Int("rounds", 3);
        return RunAsync(preset, clients, promptCount, maxTokens, batch, loadSeconds, threads, rounds).GetAwaiter().GetResult();
    }

    static async Task<int> RunAsync(string preset, int clients, int promptCount, int maxTokens, int batch, int loadSeconds, int threads, int rounds)
    {
        var root = Directory.CreateTempSubdirectory("rft-bench-serve-").FullName;
        try
        {
            Console.WriteLine($"bench serve: preset {preset} (random weights), {clients} clients, {promptCount} prompts, max_tokens {maxTokens}, batch {batch} rows, {threads} threads, {Environment.ProcessorCount} cores");
            var config = Presets.Get(preset);
            var ckpt = RandomCheckpoint.Write(Path.Combine(root, "ckpt"), config, seed: 1);
            var modelDir = Path.Combine(root, "models", "bench");
            OnnxExporter.Export(ckpt, Path.Combine(modelDir, "v1"), new ExportOptions { ModelName = "bench", ModelVersion = "v1" });
            var prompts = Enumerable.Range(0, promptCount).Select(i => $"Q: {i * 37 % 1000}+{i * 91 % 1000}\n").ToList();
            var sampling = new SamplingSettings { Temperature = 0.7, MaxNewTokens = maxTokens, Seed = 1 };

            // Offline: the same prompts, one candidate each, batched by the engine as `rft sample` does, on a warm session.
            var model = ModelFolder.Open(modelDir);
            using var decoder = new OnnxDecoder(model.ModelPath, threads, model.Decoder.ToDecoderIo());
            var generator = new Generator(decoder, model.Tokenizer, new GeneratorOptions { MaxBatchRows = batch, ContextLength = model.Config.Model.ContextLength });
            var requests = prompts.Select((p, i) => new PromptRequest($"p{i}", PromptFormat.EncodePrompt(model.Tokenizer, p), 1)).ToList();
            generator.Generate(requests.Take(batch).ToList(), sampling).Count();   // warm-up: first runs allocate

            await using var host = await ServiceHost.StartAsync(new ServiceOptions
            {
                Model = modelDir, Port = 0, MaxBatchRows = batch, QueueCapacity = Math.Max(64, 2 * clients), Threads = threads,
            }, LogLevel.Warning);
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            await Drive(http, prompts.Take(clients).ToList(), clients, maxTokens, once: true, TimeSpan.FromHours(1));   // warm-up

            // Alternating rounds, so load from elsewhere on the machine hits both sides alike; the median ratio is reported.
            var ratios = new List<double>();
            var latencies = new List<double>();
            for (int round = 1; round <= rounds; round++)
            {
                var watch = Stopwatch.StartNew();
                long sampled = generator.Generate(requests, sampling).Sum(g => (long)g.SampledTokens);
                double offlineRate = sampled / watch.Elapsed.TotalSeconds;
                var (tokens, seconds, roundLatencies, errors) = await Drive(http, prompts, clients, maxTokens, once: true, TimeSpan.FromHours(1));
                double serviceRate = tokens / seconds;
                latencies.AddRange(roundLatencies);
                ratios.Add(serviceRate / offlineRate);
                Console.WriteLine(F($"round {round}: offline batched {sampled} tokens, {offlineRate:F0} tokens/s; service with {clients} concurrent clients {tokens} tokens, {serviceRate:F0} tokens/s ({errors} non-200); ratio {serviceRate / offlineRate:P1}"));
            }
            ratios.Sort();
            Console.WriteLine(F($"service / offline tokens/s, median of {rounds} rounds: {ratios[ratios.Count / 2]:P1}"));
            Report("latency (throughput rounds)", latencies);

            // Sustained load: RSS before and after, latency percentiles.
            long before = Rss();
            var (loadTokens, loadSeconds2, loadLatencies, loadErrors) = await Drive(http, prompts, clients, maxTokens, once: false, TimeSpan.FromSeconds(loadSeconds));
            long after = Rss();
            Console.WriteLine(F($"sustained load {loadSeconds2:F1} s: {loadLatencies.Count} requests, {loadTokens} tokens, {loadTokens / loadSeconds2:F0} tokens/s ({loadErrors} non-200)"));
            Report("latency (sustained load)", loadLatencies);
            Console.WriteLine(F($"RSS before load {before / 1048576.0:F1} MiB, after {after / 1048576.0:F1} MiB, growth {(after - before) * 100.0 / before:F1}%"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>`clients` loops each sending one single-prompt request at a time, until every prompt was sent once or the time is up.</summary>
    static async Task<(long Tokens, double Seconds, List<double> Latencies, int Errors)> Drive(
        HttpClient http, List<string> prompts, int clients, int maxTokens, bool once, TimeSpan limit)
    {
        long tokens = 0;
        int next = -1, errors = 0;
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (watch.Elapsed < limit)
            {
                int i = Interlocked.Increment(ref next);
                if (once && i >= prompts.Count) return;
                var t = Stopwatch.StartNew();
                using var r = await http.PostAsJsonAsync("/v1/completions", new
                {
                    model = "bench", prompt = prompts[i % prompts.Count], max_tokens = maxTokens, temperature = 0.7, seed = i,
                });
                if (!r.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                var json = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
                Interlocked.Add(ref tokens, json.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
                lock (latencies) latencies.Add(t.Elapsed.TotalMilliseconds);
            }
        }));
        return (tokens, watch.Elapsed.TotalSeconds, latencies, errors);
    }

    static void Report(string what, List<double> ms)
    {
        if (ms.Count == 0) { Console.WriteLine($"{what}: no requests answered"); return; }
        ms.Sort();
        double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        Console.WriteLine(F($"{what}: p50 {P(0.50):F0} ms, p99 {P(0.99):F0} ms, max {ms[^1]:F0} ms over {ms.Count} requests"));
    }

    static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }

    static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
