using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Export.Tests;

public sealed class GenAiConfigTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "genai-config-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    /// <summary>Keys onnxruntime-genai's strict parser knows (listed independently of GenAiConfig on purpose).</summary>
    static readonly Dictionary<string, string[]> Allowed = new()
    {
        [""] = ["model", "search"],
        ["model"] = ["type", "context_length", "vocab_size", "bos_token_id", "eos_token_id", "pad_token_id", "decoder"],
        ["model.decoder"] = ["filename", "head_size", "hidden_size", "num_attention_heads", "num_key_value_heads",
                             "num_hidden_layers", "session_options", "inputs", "outputs"],
        ["model.decoder.inputs"] = ["input_ids", "attention_mask", "position_ids", "past_key_names", "past_value_names"],
        ["model.decoder.outputs"] = ["logits", "present_key_names", "present_value_names"],
        ["search"] = ["do_sample", "max_length", "min_length", "num_beams", "num_return_sequences", "top_k", "top_p",
                      "temperature", "repetition_penalty", "past_present_share_buffer", "random_seed", "early_stopping",
                      "length_penalty", "no_repeat_ngram_size"],
    };

    string Export(GraphOps ops = GraphOps.Standard)
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(tied: true, kvHeads: 2, context: 64), seed: 1);
        return OnnxExporter.Export(ckpt, Path.Combine(_root, "models", "tiny", "v1"), new ExportOptions { Ops = ops }).OutDir;
    }

    [Theory]
    [InlineData(GraphOps.Contrib)]
    [InlineData(GraphOps.StandardInPlace)]
    public void In_place_exports_declare_a_shared_past_present_buffer(GraphOps ops)
    {
        // GroupQueryAttention and TensorScatter write in place, so GenAI (and our engine) may bind one buffer as past and present.
        var config = ModelFolder.Load(Export(ops)).Config;
        Assert.True(config.Search.PastPresentShareBuffer);
    }

    [Theory]
    [InlineData(GraphOps.Standard)]
    [InlineData(GraphOps.StandardInPlace)]
    public void Written_genai_config_holds_only_keys_genai_knows(GraphOps ops)
    {
        var dir = Export(ops);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "genai_config.json")))!.AsObject();
        var seen = new List<string>();
        void Walk(JsonObject obj, string path)
        {
            foreach (var (key, value) in obj)
            {
                var full = path == "" ? key : $"{path}.{key}";
                Assert.True(Allowed.TryGetValue(path, out var keys) && keys.Contains(key), $"genai_config.json has unknown key '{full}'");
                seen.Add(full);
                if (value is JsonObject child && full != "model.decoder.session_options") Walk(child, full);
            }
        }
        Walk(json, "");
        // The fields GenAI needs to run the graph are all there, with the graph's I/O names.
        Assert.Contains("model.decoder.num_key_value_heads", seen);
        Assert.Equal("past_key_values.%d.key", json["model"]!["decoder"]!["inputs"]!["past_key_names"]!.GetValue<string>());
        Assert.Equal("present.%d.value", json["model"]!["decoder"]!["outputs"]!["present_value_names"]!.GetValue<string>());
        Assert.Equal(8, json["model"]!["decoder"]!["head_size"]!.GetValue<int>());
        Assert.Equal(257, json["model"]!["eos_token_id"]!.GetValue<int>());
        Assert.Equal(ops != GraphOps.Standard, json["search"]!["past_present_share_buffer"]!.GetValue<bool>());
    }

    [Fact]
    public void Loading_rejects_an_unknown_key_like_genai_does()
    {
        var dir = Export();
        var path = Path.Combine(dir, "genai_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["model"]!["decoder"]!["rft_extra"] = 1;
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(dir));
        Assert.Contains("rft_extra", e.Message);
        Assert.Contains("genai_config.json", e.Message);
    }

    [Fact]
    public void Eos_token_id_reads_a_number_or_an_array()
    {
        var dir = Export();
        var path = Path.Combine(dir, "genai_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["model"]!["eos_token_id"] = new JsonArray(257, 10);
        File.WriteAllText(path, json.ToJsonString());
        Assert.Equal([257, 10], GenAiConfig.Load(path).Model.EosTokenId);
    }
}
