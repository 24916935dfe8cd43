using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

public class SampleJobTests(RandomModelFixture model) : IClassFixture<RandomModelFixture>
{
    string NewDir(string name) => Path.Combine(model.Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    async Task<string> WritePrompts(int n)
    {
        var dir = NewDir("prompts");
        var rows = Enumerable.Range(0, n).Select(i => new SftExample
        {
            Id = $"ex-{i:D3}", Prompt = $"Q: {i}+{i * 7}\n", Response = $"#### {i * 8}", Answer = $"{i * 8}", Task = "addition", Source = "test",
        }).ToList();
        await PartFiles.WritePartAsync(dir, 0, rows);
        return dir;
    }

    SampleJobOptions Options(string prompts, string outDir) => new()
    {
        Model = model.ModelDir, Prompts = prompts, OutDir = outDir, K = 3, Verifier = "regex:pattern=[0-9]",
        Sampling = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 10, Seed = 17 }, PromptsPerPart = 4, Threads = 1,
    };

    static async Task<List<string>> Keys(string dir) =>
        (await PartFiles.ReadAllAsync<CandidateRow>(dir))
        .Select(c => $"{c.PromptId}|{c.CandidateIndex}|{c.Text}|{c.DuplicateCount}|{c.Accepted}|{c.SumLogprob:F4}").Order().ToList();

    [Fact]
    public async Task The_union_of_shards_equals_one_process()
    {
        var prompts = await WritePrompts(13);
        var whole = NewDir("whole");
        var summary = await SampleJob.RunAsync(Options(prompts, whole));
        Assert.Equal(13, summary.Prompts);
        Assert.Equal(39, summary.Candidates);
        var sharded = NewDir("sharded");
        var perShard = new List<int>();
        for (int i = 0; i < 3; i++)
            perShard.Add((await SampleJob.RunAsync(Options(prompts, sharded) with { ShardIndex = i, ShardCount = 3 })).Prompts);
        Assert.Equal(13, perShard.Sum());
        Assert.True(perShard.Count(p => p > 0) >= 2, "hash sharding should spread 13 prompts over shards");
        Assert.Equal(await Keys(whole), await Keys(sharded));
    }

    [Fact]
    public async Task A_killed_job_resumed_produces_the_same_files_as_an_uninterrupted_one()
    {
        var prompts = await WritePrompts(10);
        var outDir = NewDir("resume");
        await SampleJob.RunAsync(Options(prompts, outDir));
        var parts = Directory.GetFiles(outDir, "part-*.parquet").Order().ToArray();
        Assert.Equal(3, parts.Length);   // 10 prompts, 4 per part
        var before = parts.ToDictionary(p => p, File.ReadAllBytes);
        // Simulate a kill after the first part: later parts never got renamed into place.
        File.Delete(parts[1]);
        File.Delete(parts[2]);
        await Assert.ThrowsAsync<IOException>(() => SampleJob.RunAsync(Options(prompts, outDir)));   // no silent overwrite
        var resumed = await SampleJob.RunAsync(Options(prompts, outDir) with { Resume = true });
        Assert.Equal(4, resumed.PromptsResumed);
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
        // Resuming with other settings would mix two jobs in one folder.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => SampleJob.RunAsync(Options(prompts, outDir) with { Resume = true, K = 2 }));
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public async Task Only_hard_prompts_are_sampled()
    {
        var prompts = await WritePrompts(6);
        var hardness = NewDir("hardness");
        await PartFiles.WritePartAsync(hardness, 0, Enumerable.Range(0, 6)
            .Select(i => new HardnessRow { ExampleId = $"ex-{i:D3}", IsHard = i is 1 or 4, Method = "test", Reason = "" }).ToList());
        var outDir = NewDir("hard");
        var s = await SampleJob.RunAsync(Options(prompts, outDir) with { Hardness = hardness, OnlyHard = true });
        Assert.Equal(2, s.Prompts);
        Assert.Equal(["ex-001", "ex-004"], (await PartFiles.ReadAllAsync<CandidateRow>(outDir)).Select(c => c.PromptId).Distinct().Order());
    }

    [Fact]
    public async Task Identical_candidates_are_stored_once_with_their_count()
    {
        var prompts = await WritePrompts(2);
        var outDir = NewDir("greedy");
        var s = await SampleJob.RunAsync(Options(prompts, outDir) with { K = 4, Sampling = new SamplingSettings { Temperature = 0, MaxNewTokens = 8 } });
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(outDir);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(4, r.DuplicateCount));
        Assert.All(rows, r => Assert.Equal(0, r.CandidateIndex));
        Assert.Equal(8, s.Candidates);
        Assert.Equal(2, s.DistinctCandidates);
        Assert.All(rows, r => Assert.Equal("regex:pattern=[0-9]", r.Verifier));
    }

    [Fact]
    public async Task Bad_options_fail_before_any_output()
    {
        var prompts = await WritePrompts(2);
        var outDir = NewDir("bad");
        await Assert.ThrowsAsync<ArgumentException>(() => SampleJob.RunAsync(Options(prompts, outDir) with { OnlyHard = true }));
        await Assert.ThrowsAnyAsync<Exception>(() => SampleJob.RunAsync(Options(prompts, outDir) with { Verifier = "nope(" }));
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFiles(outDir, "part-*").Any());
        Assert.Equal((2, 5), SampleJobOptions.ParseShard("2/5"));
        Assert.Throws<ArgumentException>(() => SampleJobOptions.ParseShard("5/5"));
    }
}
