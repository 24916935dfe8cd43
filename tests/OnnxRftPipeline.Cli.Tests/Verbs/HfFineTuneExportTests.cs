using System.CommandLine;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Cli.Verbs;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.TestSupport;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Training;
using Xunit.Abstractions;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// `rft train --init` on a checkpoint transformers wrote, then `rft export` of the result: the fine-tuned checkpoint is
/// still the source's architecture (config fields kept, tokenizer files unchanged, fp32 weights said so in config.json),
/// training moved it, and the export loads as a model folder.
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // training draws a live progress display; one per process at a time
public class HfFineTuneExportTests(ITestOutputHelper output)
{
    static Task<int> Rft(params string[] args)
    {
        var root = new RootCommand("rft");
        foreach (var v in VerbCatalog.All()) root.Add(v);
        return CliHost.RunAsync(root, args);
    }

    [Theory]
    [InlineData(HfFixtures.Qwen2)]     // tied head, q/k/v biases, no bos token in its tokenizer
    [InlineData(HfFixtures.SpmBf16)]   // bf16 weights in four shards: the trainer writes one fp32 file
    public async Task Fine_tuning_and_exporting_keeps_the_source_architecture_and_tokenizer(string name)
    {
        var source = HfFixtures.Dir(name);
        var dir = Directory.CreateTempSubdirectory("rft-cli-hf-").FullName;
        try
        {
            var data = Path.Combine(dir, "data");
            Assert.Equal(CliHost.Ok, await Rft("data", "synth", "--task", "count", "--n", "8", "--eval-n", "2", "--out", data));
            var run = Path.Combine(dir, "run");
            // Two optimizer steps of four examples.
            Assert.Equal(CliHost.Ok, await Rft("train", "--init", source, "--data", Path.Combine(data, "train"), "--out", run, "--epochs", "1",
                "--preset", "tiny", "--batch-size", "4", "--lr", "0.05", "--threads", "2"));
            var ckpt = Path.Combine(run, SftTrainer.CheckpointFolder);
            var model = Path.Combine(dir, "models", "x", "v1");
            Assert.Equal(CliHost.Ok, await Rft("export", "--checkpoint", ckpt, "--out", model));

            var folder = ModelFolder.Open(model);
            Assert.Equal(LlamaConfig.Load(Path.Combine(source, "config.json")).ModelType, folder.Config.Model.Type);

            // config.json: every field of the source kept (architectures and model_type among them), the dtype now float32.
            var src = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
            var trained = JsonNode.Parse(File.ReadAllText(Path.Combine(ckpt, "config.json")))!.AsObject();
            Assert.True(JsonNode.DeepEquals(src["architectures"], trained["architectures"]), $"architectures {trained["architectures"]}");
            Assert.Equal(src["model_type"]!.GetValue<string>(), trained["model_type"]!.GetValue<string>());
            foreach (var (key, value) in src)
                if (key is not ("dtype" or "torch_dtype"))
                    Assert.True(JsonNode.DeepEquals(value, trained[key]), $"config.json {key}: source {value?.ToJsonString()}, fine-tuned {trained[key]?.ToJsonString()}");
            Assert.Equal("float32", trained["torch_dtype"]?.GetValue<string>());
            if (src.ContainsKey("dtype")) Assert.Equal("float32", trained["dtype"]?.GetValue<string>());
            var weights = CheckpointWeights.Open(ckpt);
            Assert.All(weights.Names, n => Assert.Equal("F32", weights.Entry(n).Dtype));

            // The tokenizer travels unchanged: into the checkpoint and on into the model folder.
            foreach (var f in TokenizerFiles.All.Append(SpecialIds.GenerationConfigFile))
            {
                Assert.Equal(File.ReadAllBytes(Path.Combine(source, f)), File.ReadAllBytes(Path.Combine(ckpt, f)));
                if (f != SpecialIds.GenerationConfigFile) Assert.Equal(File.ReadAllBytes(Path.Combine(source, f)), File.ReadAllBytes(Path.Combine(model, f)));
            }

            // Training moved every tensor and lowered the loss on its examples.
            var before = CheckpointWeights.Open(source);
            Assert.Equal(before.Names.Order(), weights.Names.Order());
            foreach (var n in before.Names)
                Assert.True(before.Read(n).Zip(weights.Read(n)).Any(p => p.First != p.Second), $"{n} did not change");
            double lossBefore = MeanLoss(source, await TrainData.LoadAsync(Path.Combine(data, "train")));
            var after = await PartFiles.ReadAllAsync<TrajectoryRow>(Path.Combine(run, SftTrainer.TrajectoriesFolder));
            double lossAfter = after.Where(r => r.Epoch == 1).Average(r => r.MeanTokenLoss);
            output.WriteLine($"{name}: mean response-token loss {lossBefore:F4} before, {lossAfter:F4} after one epoch");
            Assert.True(lossAfter < lossBefore, $"loss {lossBefore:F4} before training, {lossAfter:F4} after");
        }
        finally { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }
    }

    /// <summary>The source checkpoint's mean response-token loss on the examples, as the trainer's trajectories measure it.</summary>
    static double MeanLoss(string checkpoint, List<TrainExample> examples)
    {
        var (model, tok) = Checkpoint.Load(checkpoint);
        using var _ = model;
        var data = Batching.Tokenize(examples, tok, model.Config.ContextLimit, "examples");
        return TrajectoryRecorder.Compute(model, data, 64, tok.PadId, 0, 0, "before").Average(r => r.MeanTokenLoss);
    }
}
