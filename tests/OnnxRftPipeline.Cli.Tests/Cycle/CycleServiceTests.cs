using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>A cycle with `service` configured samples its hard prompts through a real `rft serve` on 127.0.0.1, on its own probe.</summary>
[Collection(CycleCollection.Name)]
public class CycleServiceTests : IDisposable
{
    static readonly CycleConfig Tiny = new()
    {
        Preset = "tiny", N = 30, EvalN = 6, ProbeEpochs = 1, TrainEpochs = 1, K = 2, MaxNewTokens = 16, Threads = 1, SelectFraction = 0.5,
    };

    readonly string _root = Directory.CreateTempSubdirectory("rft-cycle-service-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>models/served with one version (v1) of some other, random model, which the service serves until the cycle publishes.</summary>
    string RegistryWithAnotherModel()
    {
        var registry = Path.Combine(_root, "models", "served");
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "random-ckpt"), TinyLlama.Config(), seed: 3);
        OnnxExporter.Export(ckpt, Path.Combine(registry, "v1"), new ExportOptions { ModelName = "served", ModelVersion = "v1" });
        return registry;
    }

    [Fact]
    public async Task A_cycle_with_a_service_publishes_its_probe_and_samples_the_hard_prompts_through_the_service()
    {
        var registry = RegistryWithAnotherModel();
        await using var host = await ServiceHost.StartAsync(new ServiceOptions
        {
            Model = registry, Port = 0, Threads = 1, ModelPollInterval = TimeSpan.FromMilliseconds(200),
        }, LogLevel.Warning);
        Assert.Equal("v1", host.Models.Current.Version);
        var url = host.BaseAddress.ToString();

        var r = await new CycleRunner(Path.Combine(_root, "run"), Tiny with { Service = url, ServiceModels = registry }).RunAsync(CancellationToken.None);

        Assert.All(r.Manifest.Stages, s => Assert.Equal("done", s.Status));
        // Exactly one new version, fully renamed into place (no temp folder left), now served, holding the probe's graph.
        var published = Assert.Single(Directory.GetDirectories(registry).Select(Path.GetFileName), n => n != "v1");
        Assert.False(published!.StartsWith('.'));
        Assert.Equal(published, host.Models.Current.Version);
        Assert.Equal(1, host.Models.Swaps);
        Assert.Equal(File.ReadAllBytes(Path.Combine(r.RunDir, "models/probe/v1/model.onnx")), File.ReadAllBytes(Path.Combine(registry, published, "model.onnx")));
        var info = RftModelInfo.Load(Path.Combine(registry, published, RftModelInfo.FileName));
        Assert.Equal(("served", published), (info.ModelName, info.ModelVersion));   // keeps the name clients already ask for

        // Every candidate came from the service, from the published probe (not the version it served before).
        var candidates = Path.Combine(r.RunDir, "candidates");
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(candidates);
        Assert.NotEmpty(rows);
        Assert.All(rows, c => Assert.Equal(published, c.ModelVersion));
        Assert.All(rows, c => Assert.Contains(url.TrimEnd('/'), c.SamplerSettings));
        foreach (var part in PartFiles.ListParts(candidates))
        {
            var lineage = Lineage.FromMetadata(await PartFiles.ReadMetadataAsync(part), part);
            Assert.Equal((published, "rft sample --service", r.Manifest.RunId), (lineage.ModelVersion, lineage.Producer, lineage.RunId));
        }

        // K candidates for each hard prompt, and only hard prompts.
        var hard = (await PartFiles.ReadAllAsync<HardnessRow>(Path.Combine(r.RunDir, "hardness"))).Where(h => h.IsHard).Select(h => h.ExampleId).ToHashSet();
        Assert.Equal(15, hard.Count);   // half of 30
        Assert.Equal(hard.Count, r.Sample.Prompts);
        Assert.Equal(hard.Count * Tiny.K, r.Sample.Candidates);
        Assert.Equal(hard.Count * Tiny.K, rows.Sum(c => c.DuplicateCount));
        Assert.True(hard.SetEquals(rows.Select(c => c.PromptId)));
    }

    [Fact]
    public async Task A_service_that_never_serves_the_probe_fails_the_sample_stage_naming_the_url_and_version()
    {
        var registry = RegistryWithAnotherModel();
        // The service serves one fixed version folder, so it never picks up what the cycle publishes in the registry.
        await using var host = await ServiceHost.StartAsync(new ServiceOptions { Model = Path.Combine(registry, "v1"), Port = 0, Threads = 1 }, LogLevel.Warning);
        var url = host.BaseAddress.ToString();
        // A TimeoutException is not transient to the stage runner: the stage fails on its first attempt.
        var runner = new CycleRunner(Path.Combine(_root, "run"), Tiny with { Service = url, ServiceModels = registry })
        {
            ServiceWait = TimeSpan.FromSeconds(2),
        };

        var e = await Assert.ThrowsAsync<StageFailedException>(() => runner.RunAsync(CancellationToken.None));
        Assert.Equal("sample", e.Stage);
        var timeout = Assert.IsType<TimeoutException>(e.InnerException);
        var published = Assert.Single(Directory.GetDirectories(registry).Select(Path.GetFileName), n => n != "v1");
        Assert.Contains(url, timeout.Message);
        Assert.Contains($"version {published}", timeout.Message);
        Assert.Contains("served version v1", timeout.Message);   // what the service kept reporting
        Assert.Empty(PartFiles.ExistingParts(Path.Combine(_root, "run", "candidates")));
    }

    [Theory]
    [InlineData(true, false, "service_models is required")]
    [InlineData(false, true, "service_models is set but service is not")]
    public async Task A_half_configured_service_fails_before_any_stage_runs(bool withService, bool withModels, string expected)
    {
        var run = Path.Combine(_root, "run");
        var started = new List<string>();
        var cfg = Tiny with { Service = withService ? "http://127.0.0.1:9" : null, ServiceModels = withModels ? _root : null };
        var runner = new CycleRunner(run, cfg) { OnStageStarting = started.Add };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(CancellationToken.None));
        Assert.Contains(expected, e.Message);
        Assert.Empty(started);
        Assert.False(File.Exists(Path.Combine(run, RunManifest.FileName)));
    }

    [Fact]
    public async Task Bad_service_fields_are_named()
    {
        var run = Path.Combine(_root, "run");
        async Task<string> Message(CycleConfig cfg) => (await Assert.ThrowsAsync<ArgumentException>(() => new CycleRunner(run, cfg).RunAsync(CancellationToken.None))).Message;
        Assert.StartsWith("service must be an http(s) URL", await Message(Tiny with { Service = "ftp://x", ServiceModels = _root }));
        Assert.StartsWith("service_models", await Message(Tiny with { Service = "http://127.0.0.1:9", ServiceModels = Path.Combine(_root, "missing") }));
        var version = Directory.CreateDirectory(Path.Combine(_root, "models", "x", "v1")).FullName;
        File.WriteAllText(Path.Combine(version, GenAiConfig.FileName), "{}");
        Assert.Contains("give its parent models/NAME", await Message(Tiny with { Service = "http://127.0.0.1:9", ServiceModels = version }));
        Assert.StartsWith("export_ops contrib cannot be sampled by a service",
            await Message(Tiny with { Service = "http://127.0.0.1:9", ServiceModels = _root, ExportOps = "contrib" }));
        Assert.False(File.Exists(Path.Combine(run, RunManifest.FileName)));
    }
}
