using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Export.Tests;

public sealed class ModelFolderTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "model-folder-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    string Ckpt() => TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(true, 2, context: 64), 3);

    [Fact]
    public void Export_records_its_source_and_layout_in_rft_model_json()
    {
        var ckpt = Ckpt();
        var res = OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "tiny", "v3"), new ExportOptions());
        Assert.Equal(["genai_config.json", "model.onnx", "rft_model.json", "tokenizer.json", "tokenizer_config.json"], res.Files);
        var folder = ModelFolder.Load(res.OutDir);
        Assert.Equal("tiny", folder.Info.ModelName);
        Assert.Equal("v3", folder.Info.ModelVersion);
        Assert.Equal(Path.GetFullPath(ckpt), folder.Info.SourceCheckpoint);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(ckpt, "model.safetensors"))));
        Assert.Equal(sha, folder.Info.SourceSha256);
        Assert.Equal("standard", folder.Info.GraphOps);
        Assert.Equal(64, folder.Config.Model.ContextLength);
        Assert.Equal(256, folder.Tokenizer.BosId);
    }

    [Fact]
    public void Newest_version_sorts_numerically_and_skips_temp_and_foreign_folders()
    {
        var ckpt = Ckpt();
        var models = Path.Combine(_root, "models", "tiny");
        foreach (var v in new[] { "v2", "v10", "v9" })
            OnnxExporter.Export(ckpt, Path.Combine(models, v), new ExportOptions());
        Directory.CreateDirectory(Path.Combine(models, "v99-notes"));               // no genai_config.json
        Directory.CreateDirectory(Path.Combine(models, ".v11.tmp-abc"));
        File.WriteAllText(Path.Combine(models, ".v11.tmp-abc", "genai_config.json"), "{}");
        Assert.Equal("v10", Path.GetFileName(ModelFolder.NewestVersion(models)));
        Assert.Equal("v10", ModelFolder.Open(models).Info.ModelVersion);
        Assert.Equal("v9", ModelFolder.Open(Path.Combine(models, "v9")).Info.ModelVersion);
    }

    [Fact]
    public void Natural_order_handles_numbers_and_timestamps()
    {
        string[] names = ["v10", "v1", "v2", "20261102-1015", "20261102-0930", "v02"];
        var sorted = names.Order(ModelFolder.NaturalComparer.Instance).ToArray();
        Assert.Equal(["20261102-0930", "20261102-1015", "v1", "v2", "v02", "v10"], sorted);
    }

    [Fact]
    public void Empty_model_folder_is_a_clear_error()
    {
        var models = Directory.CreateDirectory(Path.Combine(_root, "models", "none")).FullName;
        var e = Assert.Throws<InvalidDataException>(() => ModelFolder.Open(models));
        Assert.Contains("no version folder", e.Message);
    }

    [Fact]
    public void Missing_model_file_and_bad_fields_name_the_file_and_field()
    {
        var dir = OnnxExporter.Export(Ckpt(), Path.Combine(_root, "models", "tiny", "v1"), new ExportOptions()).OutDir;
        var cfgPath = Path.Combine(dir, "genai_config.json");
        var original = File.ReadAllText(cfgPath);

        var json = JsonNode.Parse(original)!;
        json["model"]!["decoder"]!["num_key_value_heads"] = 3;
        File.WriteAllText(cfgPath, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(dir));
        Assert.Contains("model.decoder.num_key_value_heads", e.Message);

        json = JsonNode.Parse(original)!;
        json["model"]!["pad_token_id"] = 5;
        File.WriteAllText(cfgPath, json.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(dir));
        Assert.Contains("pad", e.Message);

        File.WriteAllText(cfgPath, original);
        var infoPath = Path.Combine(dir, "rft_model.json");
        var originalInfo = File.ReadAllText(infoPath);
        foreach (var (field, value) in new[] { ("weight_quantization", "int4"), ("graph_ops", "cuda") })
        {
            var info = JsonNode.Parse(originalInfo)!;
            info[field] = value;
            File.WriteAllText(infoPath, info.ToJsonString());
            e = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(dir));
            Assert.Contains("rft_model.json", e.Message);
            Assert.Contains($"{field} is '{value}'", e.Message);
        }
        File.WriteAllText(infoPath, originalInfo);
        Assert.Equal("v1", ModelFolder.Load(dir).Info.ModelVersion);

        File.Delete(Path.Combine(dir, "model.onnx"));
        var f = Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(dir));
        Assert.Contains("model.onnx", f.Message);

        File.Delete(Path.Combine(dir, "rft_model.json"));
        f = Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(dir));
        Assert.Contains("rft_model.json", f.Message);
    }

    [Fact]
    public void Every_graph_flavour_and_weight_format_the_exporter_writes_is_one_rft_model_json_accepts()
    {
        Assert.Equal(RftModelInfo.KnownGraphOps.Order(), Enum.GetValues<GraphOps>().Select(OnnxExporter.GraphOpsName).Order());
        Assert.Equal(RftModelInfo.KnownWeightQuantizations.Order(), Enum.GetValues<WeightQuantization>().Select(WeightQuantizationNames.Name).Order());
    }
}
