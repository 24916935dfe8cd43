using System.CommandLine;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Cli.Verbs;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>`rft sample --service URL`: the verb end to end against a real `rft serve` host on 127.0.0.1.</summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public class SampleServiceTests
{
    static Task<int> Rft(params string[] args)
    {
        var root = new RootCommand("rft");
        foreach (var v in VerbCatalog.All()) root.Add(v);
        return CliHost.RunAsync(root, args);
    }

    [Fact]
    public async Task Sampling_through_a_service_writes_candidate_parts_and_bad_flags_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("rft-cli-service-").FullName;
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(dir, "ckpt"), TinyLlama.Config(), seed: 3);
        OnnxExporter.Export(ckpt, Path.Combine(dir, "models", "rand", "v1"), new ExportOptions { ModelName = "rand", ModelVersion = "v1" });
        var data = Path.Combine(dir, "data");
        Assert.Equal(CliHost.Ok, await Rft("data", "synth", "--task", "count", "--n", "6", "--eval-n", "2", "--out", data));

        await using var host = await ServiceHost.StartAsync(new ServiceOptions { Model = Path.Combine(dir, "models", "rand"), Port = 0, Threads = 1 }, LogLevel.Warning);
        var url = host.BaseAddress.ToString();
        var outDir = Path.Combine(dir, "out");
        Assert.Equal(CliHost.Ok, await Rft("sample", "--service", url, "--prompts", Path.Combine(data, "train"), "--k", "2",
            "--verifier", "numeric", "--max-new-tokens", "6", "--out", outDir));
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(outDir);
        Assert.Equal(12, rows.Sum(r => r.DuplicateCount));
        Assert.All(rows, r => Assert.Equal("v1", r.ModelVersion));

        var refused = Path.Combine(dir, "refused");
        Assert.Equal(CliHost.BadInput, await Rft("sample", "--service", url, "--model", Path.Combine(dir, "models", "rand"), "--prompts", Path.Combine(data, "train"),
            "--verifier", "numeric", "--out", refused));
        Assert.Equal(CliHost.BadInput, await Rft("sample", "--service", "ftp://x", "--prompts", Path.Combine(data, "train"), "--verifier", "numeric", "--out", refused));
        Assert.Equal(CliHost.BadInput, await Rft("sample", "--prompts", Path.Combine(data, "train"), "--verifier", "numeric", "--out", refused));
        Assert.False(Directory.Exists(refused));
    }
}
