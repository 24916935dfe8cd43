using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Tasks.Synth;

namespace OnnxRftPipeline.Tasks.Tests.Synth;

public sealed class SynthRunnerTests : IDisposable
{
    readonly List<string> dirs = [];

    public void Dispose()
    {
        foreach (var d in dirs) try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    static SynthRequest Request(string task, string outDir, int seed = 5, double noise = 0.2) =>
        new(task, 300, 60, seed, SynthOptions.FromCli(noise, "easy=1,medium=1,hard=1", "skip,wrong"), outDir);

    string NewDir()
    {
        var d = Directory.CreateTempSubdirectory("rft-synth-").FullName;
        dirs.Add(d);
        return d;
    }

    [Theory]
    [MemberData(nameof(SynthTaskTests.TaskNames), MemberType = typeof(SynthTaskTests))]
    public async Task Same_request_gives_byte_identical_files(string task)
    {
        string a = NewDir(), b = NewDir();
        await SynthRunner.RunAsync(Request(task, a));
        await SynthRunner.RunAsync(Request(task, b));
        var filesA = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToArray();
        var filesB = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order().ToArray();
        Assert.Equal(new[] { "eval/part-00000.parquet", "train/part-00000.parquet" }, filesA);
        Assert.Equal(filesA, filesB);
        foreach (var f in filesA)
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(a, f)), await File.ReadAllBytesAsync(Path.Combine(b, f)));

        string c = NewDir();
        await SynthRunner.RunAsync(Request(task, c, seed: 6));
        Assert.NotEqual(await File.ReadAllBytesAsync(Path.Combine(a, filesA[1])), await File.ReadAllBytesAsync(Path.Combine(c, filesA[1])));
    }

    [Fact]
    public async Task Writes_readable_splits_with_lineage_metadata_and_no_leftovers()
    {
        var dir = NewDir();
        var summary = await SynthRunner.RunAsync(Request("arithmetic", dir));
        Assert.Equal(300, summary.TrainRows);
        Assert.Equal(60, summary.EvalRows);
        Assert.Equal(60, summary.NoisyRows);
        Assert.Equal(30, summary.NoiseKinds["wrong"]);
        Assert.Equal(120, summary.Difficulties["easy"]);

        var train = await PartFiles.ReadAllAsync<SftExample>(Path.Combine(dir, "train"));
        var eval = await PartFiles.ReadAllAsync<SftExample>(Path.Combine(dir, "eval"));
        Assert.Equal(300, train.Count);
        Assert.Equal(60, eval.Count);
        Assert.Equal("arithmetic-train-000000", train[0].Id);

        var meta = await PartFiles.ReadMetadataAsync(Path.Combine(dir, "train", "part-00000.parquet"));
        Assert.Equal("arithmetic", meta["task"]);
        Assert.Equal("train", meta["split"]);
        Assert.Equal("5", meta["seed"]);
        Assert.Equal("numeric", meta["default_verifier"]);
        Assert.Contains("\"noise\":0.2", meta["options"]);
        Assert.Contains("noise_kinds", meta["options"]);
        // The lineage contract every output carries, parsed the way downstream readers parse it.
        var lineage = Lineage.FromMetadata(meta, "train part");
        Assert.Equal(SynthRunner.Producer, lineage.Producer);
        Assert.Equal(5, lineage.Seed);
        Assert.StartsWith("synth-", lineage.RunId);
        Assert.Contains("\"task\":\"arithmetic\"", lineage.Settings);
        Assert.DoesNotContain(meta.Keys, k => k.Contains("time") || k.Contains("date") || k.Contains("created"));
        Assert.Equal(new[] { "eval", "train" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public async Task Refuses_to_overwrite_unless_asked_and_replaces_stale_parts_when_asked()
    {
        var dir = NewDir();
        await SynthRunner.RunAsync(Request("sort", dir) with { RowsPerPart = 100 });
        Assert.Equal(3, Directory.GetFiles(Path.Combine(dir, "train"), "part-*.parquet").Length);
        var e = await Assert.ThrowsAsync<SynthException>(() => SynthRunner.RunAsync(Request("sort", dir)));
        Assert.Contains("already exists and is not empty; pass --overwrite", e.Message);

        await SynthRunner.RunAsync(Request("sort", dir) with { Overwrite = true });
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "train"), "part-*.parquet"));
        Assert.Equal(300, (await PartFiles.ReadAllAsync<SftExample>(Path.Combine(dir, "train"))).Count);
    }

    [Fact]
    public async Task A_failed_generation_writes_nothing()
    {
        var dir = Path.Combine(NewDir(), "out");
        var req = new SynthRequest("addition", 15000, 10, 1, SynthOptions.FromCli(0, "easy"), dir);
        await Assert.ThrowsAsync<SynthException>(() => SynthRunner.RunAsync(req));
        Assert.False(Directory.Exists(dir));
    }
}
