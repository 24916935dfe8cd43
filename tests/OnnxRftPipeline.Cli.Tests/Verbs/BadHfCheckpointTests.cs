using System.Text.Json.Nodes;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// A broken Hugging Face checkpoint given to `rft export --checkpoint` or `rft train --init`: exit 2, one line naming the file
/// and the field, and no output folder. Each case damages a copy of a checkpoint transformers wrote (tests/fixtures/hf).
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public sealed class BadHfCheckpointTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "rft-badhf-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    static Task<(int Code, string Error)> Rft(params string[] args) => RftProcess.RunAsync(args);

    /// <summary>A writable copy of a fixture checkpoint (sharded Mistral unless named).</summary>
    string Copy(string fixture = "mistral-headdim-fp16-sharded")
    {
        var src = HfFixtures.Dir(fixture);
        var dst = Path.Combine(_root, "ckpt-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        return dst;
    }

    static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    public static TheoryData<string> Cases => new()
    {
        "missing config.json", "missing tokenizer.json", "unknown model_type", "absent shard", "shape disagrees with config",
        "truncated safetensors header", "unsupported rope type", "tokenizer larger than the embedding", "mlp_bias", "non-silu activation",
    };

    /// <summary>Damages a checkpoint copy; returns what the error must name.</summary>
    string[] Damage(string ckpt, string kind)
    {
        string config = Path.Combine(ckpt, "config.json");
        switch (kind)
        {
            case "missing config.json":
                File.Delete(config);
                return ["config.json", "missing"];
            case "missing tokenizer.json":
                File.Delete(Path.Combine(ckpt, "tokenizer.json"));
                return ["tokenizer.json", "missing"];
            case "unknown model_type":
                EditJson(config, j => { j["model_type"] = "gemma2"; j["architectures"] = new JsonArray("Gemma2ForCausalLM"); });
                return ["config.json", "model_type", "gemma2"];
            case "absent shard":
                File.Delete(Path.Combine(ckpt, "model-00002-of-00003.safetensors"));
                return ["model.safetensors.index.json", "model-00002-of-00003.safetensors", "missing"];
            case "shape disagrees with config":
                EditJson(config, j => j["intermediate_size"] = 128);
                return ["mlp", "[160,64]", "[128,64]", "config.json"];
            case "truncated safetensors header":
            {
                var shard = Path.Combine(ckpt, "model-00001-of-00003.safetensors");
                var bytes = File.ReadAllBytes(shard);
                File.WriteAllBytes(shard, bytes[..100]);
                return ["model-00001-of-00003.safetensors", "truncated"];
            }
            case "unsupported rope type":
                EditJson(config, j => j["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["rope_theta"] = 10000.0, ["factor"] = 4.0 });
                return ["config.json", "rope_parameters.rope_type", "yarn"];
            case "tokenizer larger than the embedding":
                // An added token with id 1100: the tokenizer can produce ids the 1,024-row embedding does not have.
                EditJson(Path.Combine(ckpt, "tokenizer.json"), j => j["added_tokens"]!.AsArray().Add(new JsonObject
                {
                    ["id"] = 1100, ["content"] = "<extra>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                    ["normalized"] = false, ["special"] = true,
                }));
                return ["config.json", "vocab_size 1024", "1101"];
            case "mlp_bias":
                EditJson(config, j => j["mlp_bias"] = true);
                return ["config.json", "mlp_bias"];
            case "non-silu activation":
                EditJson(config, j => j["hidden_act"] = "gelu");
                return ["config.json", "hidden_act", "gelu"];
        }
        throw new ArgumentException(kind);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Export_refuses_naming_the_file_and_field_and_writes_nothing(string kind)
    {
        var ckpt = Copy();
        var must = Damage(ckpt, kind);
        var models = Path.Combine(_root, "models", "m");
        var (code, error) = await Rft("export", "--checkpoint", ckpt, "--out", Path.Combine(models, "v1"));
        Assert.Equal(CliHost.BadInput, code);
        foreach (var s in must) Assert.Contains(s, error);
        Assert.DoesNotContain("   at ", error);   // one message, no stack trace
        Assert.True(!Directory.Exists(models) || Directory.GetFileSystemEntries(models).Length == 0, "export left files behind");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Train_init_refuses_naming_the_file_and_field_and_writes_nothing(string kind)
    {
        var ckpt = Copy();
        var must = Damage(ckpt, kind);
        var data = Path.Combine(_root, "data");
        if (!Directory.Exists(data))
            Assert.Equal(CliHost.Ok, (await Rft("data", "synth", "--task", "count", "--n", "10", "--eval-n", "2", "--out", data)).Code);
        var outDir = Path.Combine(_root, "run");
        var (code, error) = await Rft("train", "--init", ckpt, "--data", Path.Combine(data, "train"), "--out", outDir, "--epochs", "1");
        Assert.Equal(CliHost.BadInput, code);
        foreach (var s in must) Assert.Contains(s, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Path.Combine(outDir, "checkpoint")), "train left a checkpoint behind");
    }
}
