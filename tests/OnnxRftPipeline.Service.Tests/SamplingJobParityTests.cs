using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>
/// A sampling job drawn through the service's decode loop (shared with completions) writes exactly the candidates a
/// local `rft sample` writes for the same model, prompts and settings: same prompt ids and seed, same rows (log-probabilities
/// to float rounding).
/// </summary>
public class SamplingJobParityTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task A_service_job_writes_the_candidates_rft_sample_writes_locally()
    {
        var data = Directory.CreateDirectory(Path.Combine(f.Root, "parity-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        await using var host = await ServiceFixture.StartAsync(f.Options() with { DataRoot = data, MaxBatchRows = 8 });
        using var c = ServiceFixture.ClientFor(host);
        var prompts = Path.Combine(data, "prompts");
        await PartFiles.WritePartAsync(prompts, 0, Enumerable.Range(0, 9).Select(i => new SftExample
        {
            Id = $"ex-{i:D3}", Prompt = $"Q: {i}+{i * 7} {new string('x', i)}\n", Response = $"#### {i * 8}", Answer = $"{i * 8}", Task = "addition", Source = "test",
        }).ToList());
        var sampling = new SamplingSettings { Temperature = 1.0, TopP = 0.9, TopK = 40, MaxNewTokens = 12, StopStrings = ["7"], Seed = 99 };

        // Completions running beside the job: its rows share batches with them, which must not change what it draws.
        var noise = Enumerable.Range(0, 6).Select(i => Wire.OkAsync(c,
            new { model = "rand", prompt = $"Q: noise {i}\n", n = 2, max_tokens = 20, temperature = 1.0, seed = i })).ToList();
        var (status, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new
        {
            prompts = "prompts", output = "served", k = 4, verifier = "numeric", temperature = sampling.Temperature, top_p = sampling.TopP,
            top_k = sampling.TopK, max_new_tokens = sampling.MaxNewTokens, stop = sampling.StopStrings, seed = sampling.Seed,
        });
        Assert.Equal(202, status);
        var id = job.GetProperty("id").GetString()!;
        async Task<string?> State() => JsonDocument.Parse(await c.GetStringAsync($"/v1/sampling-jobs/{id}")).RootElement.GetProperty("status").GetString();
        await LoadTests.WaitUntil(() => State().Result is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(120));
        Assert.Equal("succeeded", await State());
        await Task.WhenAll(noise);

        var local = Path.Combine(data, "local");
        await SampleJob.RunAsync(new SampleJobOptions
        {
            Model = f.ModelDir, Prompts = prompts, OutDir = local, K = 4, Verifier = "numeric", Sampling = sampling, Threads = 1,
        });

        var served = (await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(data, "served"))).OrderBy(r => r.PromptId).ThenBy(r => r.CandidateIndex).ToList();
        var expected = (await PartFiles.ReadAllAsync<CandidateRow>(local)).OrderBy(r => r.PromptId).ThenBy(r => r.CandidateIndex).ToList();
        Assert.Equal(36, expected.Sum(r => r.DuplicateCount));
        Assert.Contains(expected, r => r.FinishReason == "stop");
        // Every field but the creation time (each job's own) is the same; the log-probabilities agree to float rounding
        // (the continuous batch's right-aligned cache sums attention over other columns than the offline driver's: measured
        // differences ~1e-7 on a sum of ~-50), so they are compared to 1e-5 and the rest exactly.
        static string Json(CandidateRow r)
        {
            var copy = JsonSerializer.Deserialize<CandidateRow>(JsonSerializer.Serialize(r))!;
            (copy.CreatedAt, copy.SumLogprob, copy.MeanLogprob) = (default, 0, 0);
            return JsonSerializer.Serialize(copy);
        }
        Assert.Equal(expected.Select(Json), served.Select(Json));
        foreach (var (e, s) in expected.Zip(served))
        {
            Assert.Equal(e.SumLogprob, s.SumLogprob, 1e-5);
            Assert.Equal(e.MeanLogprob, s.MeanLogprob, 1e-5);
        }
        // The shard manifests record the same settings, so either output resumes under the other's options.
        static string Settings(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "_sampling-s000of001.json"))).RootElement.GetProperty("settings").GetString()!;
        Assert.Equal(Settings(local), Settings(Path.Combine(data, "served")));
    }
}
