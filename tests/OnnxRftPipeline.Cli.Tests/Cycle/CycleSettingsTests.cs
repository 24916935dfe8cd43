using System.Text.Json.Nodes;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

[Collection(CycleCollection.Name)]
public class CycleSettingsTests
{
    [Fact]
    public async Task Learning_rate_and_batch_size_reach_both_the_probe_and_the_retrain()
    {
        var root = Directory.CreateTempSubdirectory("rft-cycle-hp-").FullName;
        try
        {
            var config = new CycleConfig
            {
                Preset = "tiny", N = 24, EvalN = 4, ProbeEpochs = 1, TrainEpochs = 1, K = 1, MaxNewTokens = 8, Threads = 1, SelectFraction = 0.5,
                LearningRate = 3e-3, BatchSize = 5,
            };
            var r = await new CycleRunner(Path.Combine(root, "run"), config).RunAsync(CancellationToken.None);
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

    [Theory]
    [InlineData(0.0, null, "learning_rate")]
    [InlineData(double.NaN, null, "learning_rate")]
    [InlineData(null, 0, "batch_size")]
    public async Task A_bad_learning_rate_or_batch_size_is_refused_naming_the_field_before_anything_is_written(double? lr, int? batch, string field)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-cycle-hp-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            new CycleRunner(dir, new CycleConfig { LearningRate = lr, BatchSize = batch }).RunAsync(CancellationToken.None));
        Assert.Contains(field, e.Message);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
    }

    [Fact]
    public async Task Export_ops_and_quantize_choose_the_graph_the_cycle_samples_and_evaluates_with()
    {
        var root = Directory.CreateTempSubdirectory("rft-cycle-export-").FullName;
        try
        {
            var config = new CycleConfig
            {
                Preset = "tiny", N = 24, EvalN = 4, ProbeEpochs = 1, TrainEpochs = 1, K = 2, MaxNewTokens = 8, Threads = 1, SelectFraction = 0.5,
                ExportOps = "contrib", ExportQuantize = "int8",
            };
            var r = await new CycleRunner(Path.Combine(root, "run"), config).RunAsync(CancellationToken.None);
            foreach (var model in new[] { "probe", "final" })
            {
                var info = RftModelInfo.Load(Path.Combine(r.RunDir, "models", model, "v1", RftModelInfo.FileName));
                Assert.Equal(("contrib", "int8"), (info.GraphOps, info.WeightQuantization));
            }
            Assert.Equal(24, r.Sample.Candidates);   // 12 hard prompts, K = 2, drawn through the contrib int8 graph
            Assert.Equal(4, r.FinalEval.Examples);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Theory]
    [InlineData("cuda", "none", "export_ops")]
    [InlineData("standard", "int4", "export_quantize")]
    public async Task A_bad_export_setting_is_refused_naming_the_field_before_anything_is_written(string ops, string quantize, string field)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-cycle-export-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            new CycleRunner(dir, new CycleConfig { ExportOps = ops, ExportQuantize = quantize }).RunAsync(CancellationToken.None));
        Assert.Contains(field, e.Message);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
    }
}
