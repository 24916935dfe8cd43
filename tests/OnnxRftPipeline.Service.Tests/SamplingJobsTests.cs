using System.Net;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>/v1/sampling-jobs: the existing SampleJob behind HTTP, with every path confined to the data root.</summary>
public class SamplingJobsTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    static async Task WritePrompts(string dir, int n) =>
        await PartFiles.WritePartAsync(dir, 0, Enumerable.Range(0, n).Select(i => new SftExample
        {
            Id = $"ex-{i:D3}", Prompt = $"Q: {i}+{i * 7}\n", Response = $"#### {i * 8}", Answer = $"{i * 8}", Task = "addition", Source = "test",
        }).ToList());

    async Task<(string DataRoot, Hosting.ServiceHost Host, HttpClient Client)> StartAsync(int maxJobs = 16)
    {
        var data = Directory.CreateDirectory(Path.Combine(f.Root, "data-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var host = await ServiceFixture.StartAsync(f.Options() with { DataRoot = data, MaxSamplingJobs = maxJobs });
        return (data, host, ServiceFixture.ClientFor(host));
    }

    static async Task<JsonElement> Get(HttpClient c, string id) => JsonDocument.Parse(await c.GetStringAsync($"/v1/sampling-jobs/{id}")).RootElement;

    [Fact]
    public async Task A_job_writes_verified_candidates_under_the_data_root_and_reports_progress()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "prompts"), 5);
        var (status, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs",
            new { prompts = "prompts", output = "out/candidates", k = 3, verifier = "regex:pattern=[0-9]", max_new_tokens = 8, temperature = 1.0 });
        Assert.Equal(202, status);
        var id = job.GetProperty("id").GetString()!;
        await LoadTests.WaitUntil(() => Get(c, id).Result.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        var done = await Get(c, id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(5, done.GetProperty("prompts_done").GetInt32());
        Assert.True(done.GetProperty("tokens").GetInt64() > 0);
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(data, "out", "candidates"));
        Assert.Equal(15, rows.Sum(r => r.DuplicateCount));
        Assert.Equal(5, rows.Select(r => r.PromptId).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("v1", r.ModelVersion));
    }

    [Fact]
    public async Task Only_hard_samples_just_the_prompts_the_hardness_marks()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "prompts"), 6);
        await PartFiles.WritePartAsync(Path.Combine(data, "hardness"), 0, Enumerable.Range(0, 6)
            .Select(i => new HardnessRow { ExampleId = $"ex-{i:D3}", IsHard = i is 1 or 4, Method = "test", Reason = "" }).ToList());
        var (status, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs",
            new { prompts = "prompts", hardness = "hardness", only_hard = true, output = "hard", k = 2, verifier = "numeric", max_new_tokens = 6 });
        Assert.Equal(202, status);
        var id = job.GetProperty("id").GetString()!;
        await LoadTests.WaitUntil(() => Get(c, id).Result.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", (await Get(c, id)).GetProperty("status").GetString());
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(data, "hard"));
        Assert.Equal(["ex-001", "ex-004"], rows.Select(r => r.PromptId).Distinct().Order());
    }

    [Fact]
    public async Task Delete_cancels_a_running_job()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "many"), 300);
        var (status, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs",
            new { prompts = "many", output = "many-out", k = 8, verifier = "numeric", max_new_tokens = 64 });
        Assert.Equal(202, status);
        var id = job.GetProperty("id").GetString()!;
        var deleted = JsonDocument.Parse(await (await c.DeleteAsync($"/v1/sampling-jobs/{id}")).Content.ReadAsStringAsync()).RootElement;
        await LoadTests.WaitUntil(() => Get(c, id).Result.GetProperty("status").GetString() is "cancelled" or "succeeded" or "failed", TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", (await Get(c, id)).GetProperty("status").GetString());
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync("/v1/sampling-jobs/sjob-nope")).StatusCode);
    }

    [Fact]
    public async Task Too_many_unfinished_jobs_are_refused_with_429()
    {
        var (data, host, c) = await StartAsync(maxJobs: 1);
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "many"), 300);
        var body = new { prompts = "many", output = "a", k = 8, verifier = "numeric", max_new_tokens = 64 };
        var (first, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", body);
        Assert.Equal(202, first);
        var (second, error, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", body with { output = "b" });
        Assert.Equal(429, second);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("error").GetProperty("code").GetString());
        await c.DeleteAsync($"/v1/sampling-jobs/{job.GetProperty("id").GetString()}");
    }

    [Fact]
    public async Task Paths_outside_the_data_root_are_refused_naming_the_field()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "prompts"), 2);
        var outside = Directory.CreateDirectory(Path.Combine(f.Root, "outside-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        await WritePrompts(outside, 2);
        Directory.CreateSymbolicLink(Path.Combine(data, "sneaky"), outside);

        async Task Refused(object body, string param)
        {
            var (status, json, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", body);
            Assert.True(status == 400, $"expected 400 for {JsonSerializer.Serialize(body)}, got {status}: {json}");
            Assert.Equal(param, json.GetProperty("error").GetProperty("param").GetString());
        }
        await Refused(new { prompts = "../" + Path.GetFileName(outside), output = "o", verifier = "numeric" }, "prompts");
        await Refused(new { prompts = outside, output = "o", verifier = "numeric" }, "prompts");
        await Refused(new { prompts = "sneaky", output = "o", verifier = "numeric" }, "prompts");
        await Refused(new { prompts = "sneaky/../../" + Path.GetFileName(outside), output = "o", verifier = "numeric" }, "prompts");
        await Refused(new { prompts = "prompts", output = "sneaky/out", verifier = "numeric" }, "output");
        await Refused(new { prompts = "prompts", output = "/tmp/x", verifier = "numeric" }, "output");
        await Refused(new { prompts = "prompts", output = "o", hardness = "../..", only_hard = true, verifier = "numeric" }, "hardness");
        await Refused(new { prompts = "prompts", output = "o", verifier = "cmd:path=/bin/true" }, "verifier");
        await Refused(new { prompts = "prompts", output = "o", verifier = "all(numeric;cmd:path=/bin/sh)" }, "verifier");
        await Refused(new { prompts = "prompts", output = "o", verifier = "numeric", surprise = 1 }, "surprise");
        Assert.False(Directory.Exists(Path.Combine(outside, "o")));
        Assert.Empty(Directory.GetDirectories(outside));
    }

    [Fact]
    public async Task Paths_swapped_for_a_symlink_while_the_job_waits_are_refused_when_it_runs()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "many"), 300);
        await WritePrompts(Path.Combine(data, "prompts"), 2);
        await WritePrompts(Path.Combine(data, "swap", "p"), 2);
        Directory.CreateDirectory(Path.Combine(data, "jobs", "race"));
        var outside = Directory.CreateDirectory(Path.Combine(f.Root, "outside-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        await WritePrompts(Path.Combine(outside, "p"), 2);
        var outsideBefore = Directory.GetFileSystemEntries(outside, "*", SearchOption.AllDirectories).Order().ToList();

        // A long job holds the runner; the two jobs behind it pass the submit-time check.
        var (s0, longJob, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new { prompts = "many", output = "long", k = 8, verifier = "numeric", max_new_tokens = 64 });
        var (s1, raceOut, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new { prompts = "prompts", output = "jobs/race/x", k = 2, verifier = "numeric", max_new_tokens = 4 });
        var (s2, raceIn, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new { prompts = "swap/p", output = "in-out", k = 2, verifier = "numeric", max_new_tokens = 4 });
        Assert.Equal([202, 202, 202], new[] { s0, s1, s2 });
        string outId = raceOut.GetProperty("id").GetString()!, inId = raceIn.GetProperty("id").GetString()!;
        Assert.Equal("queued", (await Get(c, outId)).GetProperty("status").GetString());

        // While they wait, the output's parent and the prompts' parent become links out of the root.
        Directory.Delete(Path.Combine(data, "jobs", "race"));
        Directory.CreateSymbolicLink(Path.Combine(data, "jobs", "race"), outside);
        Directory.Move(Path.Combine(data, "swap"), Path.Combine(data, "swap-old"));
        Directory.CreateSymbolicLink(Path.Combine(data, "swap"), outside);
        await c.DeleteAsync($"/v1/sampling-jobs/{longJob.GetProperty("id").GetString()}");

        foreach (var (id, component) in new[] { (outId, "jobs/race"), (inId, "swap") })
        {
            await LoadTests.WaitUntil(() => Get(c, id).Result.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
            var done = await Get(c, id);
            Assert.Equal("failed", done.GetProperty("status").GetString());
            var error = done.GetProperty("error").GetString()!;
            Assert.Contains($"'{component}' is now a symbolic link", error);
        }
        Assert.Equal(outsideBefore, Directory.GetFileSystemEntries(outside, "*", SearchOption.AllDirectories).Order().ToList());
        Assert.False(Directory.Exists(Path.Combine(data, "in-out")));
    }

    [Fact]
    public async Task A_job_creates_its_output_folder_and_writes_through_it_when_nothing_changed()
    {
        var (data, host, c) = await StartAsync();
        await using var _ = host;
        using var __ = c;
        await WritePrompts(Path.Combine(data, "prompts"), 2);
        var (status, job, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new { prompts = "prompts", output = "a/b/c", k = 2, verifier = "numeric", max_new_tokens = 4 });
        Assert.Equal(202, status);
        var id = job.GetProperty("id").GetString()!;
        await LoadTests.WaitUntil(() => Get(c, id).Result.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        var done = await Get(c, id);
        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        Assert.Equal(Path.Combine(data, "a", "b", "c"), done.GetProperty("output").GetString());
        Assert.Equal(4, (await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(data, "a", "b", "c"))).Sum(r => r.DuplicateCount));
        // A rerun into the same folder is refused naming the output path, not the descriptor the job wrote through.
        var (_, again, _) = await Wire.PostAsync(c, "/v1/sampling-jobs", new { prompts = "prompts", output = "a/b/c", k = 2, verifier = "numeric", max_new_tokens = 4 });
        var againId = again.GetProperty("id").GetString()!;
        await LoadTests.WaitUntil(() => Get(c, againId).Result.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        var error = (await Get(c, againId)).GetProperty("error").GetString()!;
        Assert.Contains(Path.Combine(data, "a", "b", "c"), error);
        Assert.DoesNotContain("/proc/self/fd", error);
    }

    [Fact]
    public async Task Without_a_data_root_sampling_jobs_are_disabled()
    {
        var (status, json, _) = await Wire.PostAsync(f.Client, "/v1/sampling-jobs", new { prompts = "p", output = "o", verifier = "numeric" });
        Assert.Equal(403, status);
        Assert.Contains("--data-root", json.GetProperty("error").GetProperty("message").GetString());
    }
}
