using System.Text.Json.Nodes;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>Cycle config fields that reach the stages they configure, and bad values of them.</summary>
[Collection(CycleCollection.Name)]
public class CycleSettingsTests
{
    static readonly CycleConfig Tiny = TinyCycle.Config;

    static async Task<CycleResult> RunAsync(CycleConfig config, string root) =>
        await new CycleRunner(Path.Combine(root, "run"), config).RunAsync(CancellationToken.None);

    static async Task AssertRefusedAsync(CycleConfig config, string field)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-cycle-settings-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new CycleRunner(dir, config).RunAsync(CancellationToken.None));
        Assert.Contains(field, e.Message);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
    }

    [Fact]
    public async Task Learning_rate_and_batch_size_reach_both_the_probe_and_the_retrain()
    {
        var root = Directory.CreateTempSubdirectory("rft-cycle-settings-").FullName;
        try
        {
            var r = await RunAsync(Tiny with { LearningRate = 3e-3, BatchSize = 5 }, root);
            foreach (var training in new[] { "probe", "final" })
            {
                var start = File.ReadLines(Path.Combine(r.RunDir, training, "run_log.jsonl")).Select(l => JsonNode.Parse(l)!)
                    .First(e => (string?)e["event"] == "start");
                Assert.Equal(5, (int)start["batch_size"]!);
                Assert.Equal(3e-3, (double)start["peak_lr"]!, 12);
                Assert.Equal(((int)start["examples"]! + 4) / 5, (int)start["total_steps"]!);   // one epoch in batches of 5
            }
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public async Task Export_ops_and_quantize_choose_the_graph_the_cycle_samples_and_evaluates_with()
    {
        var root = Directory.CreateTempSubdirectory("rft-cycle-settings-").FullName;
        try
        {
            var r = await RunAsync(Tiny with { ExportOps = "contrib", ExportQuantize = "int8" }, root);
            foreach (var model in new[] { "probe", "final" })
            {
                var info = RftModelInfo.Load(Path.Combine(r.RunDir, "models", model, "v1", RftModelInfo.FileName));
                Assert.Equal(("contrib", "int8"), (info.GraphOps, info.WeightQuantization));
            }
            Assert.Equal(24, r.Sample.Candidates);   // 12 hard prompts, K = 2, drawn through the contrib int8 graph
            Assert.Equal(Tiny.EvalN, r.FinalEval.Examples);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Theory]
    [InlineData(0.0, null, "learning_rate")]
    [InlineData(double.NaN, null, "learning_rate")]
    [InlineData(null, 0, "batch_size")]
    public Task A_bad_learning_rate_or_batch_size_is_refused_naming_the_field_before_anything_is_written(double? lr, int? batch, string field) =>
        AssertRefusedAsync(new CycleConfig { LearningRate = lr, BatchSize = batch }, field);

    [Theory]
    [InlineData("cuda", "none", "export_ops")]
    [InlineData("standard", "int4", "export_quantize")]
    public Task A_bad_export_setting_is_refused_naming_the_field_before_anything_is_written(string ops, string quantize, string field) =>
        AssertRefusedAsync(new CycleConfig { ExportOps = ops, ExportQuantize = quantize }, field);
}
