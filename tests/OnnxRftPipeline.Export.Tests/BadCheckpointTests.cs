using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Export.Tests;

public sealed class BadCheckpointTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "bad-ckpt-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    string Models => Path.Combine(_root, "models", "tiny");
    string Out => Path.Combine(Models, "v1");

    /// <summary>Export must fail with a message containing <paramref name="mustName"/> and leave no folder behind.</summary>
    void AssertFailsCleanly(string ckpt, params string[] mustName)
    {
        var e = Assert.ThrowsAny<Exception>(() => OnnxExporter.Export(ckpt, Out, new ExportOptions()));
        Assert.True(e is InvalidDataException or FileNotFoundException, $"unexpected {e.GetType().Name}: {e.Message}");
        foreach (var s in mustName) Assert.Contains(s, e.Message);
        Assert.False(Directory.Exists(Out));
        Assert.True(!Directory.Exists(Models) || Directory.GetFileSystemEntries(Models).Length == 0, "temp output left behind");
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(false, 2, context: 64), 1,
            ts => ts.Where(t => t.Name != "model.layers.1.mlp.up_proj.weight").ToList());
        AssertFailsCleanly(ckpt, "model.layers.1.mlp.up_proj.weight", "missing", "model.safetensors");
    }

    [Fact]
    public void Missing_lm_head_of_an_untied_model_is_named()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(false, 2, context: 64), 1,
            ts => ts.Where(t => t.Name != LlamaConfig.Names.LmHead).ToList());
        AssertFailsCleanly(ckpt, "lm_head.weight", "tie_word_embeddings");
    }

    [Fact]
    public void Wrong_shape_is_named_with_both_shapes()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(true, 2, context: 64), 1,
            ts => ts.Select(t => t.Name == "model.layers.0.self_attn.k_proj.weight"
                ? new NamedTensor(t.Name, [32, 32], new float[32 * 32]) : t).ToList());
        AssertFailsCleanly(ckpt, "model.layers.0.self_attn.k_proj.weight", "[32,32]", "[16,32]");
    }

    [Fact]
    public void Missing_config_field_is_named()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(true, 2, context: 64), 1);
        var path = Path.Combine(ckpt, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json.Remove("intermediate_size");
        File.WriteAllText(path, json.ToJsonString());
        AssertFailsCleanly(ckpt, "intermediate_size", "config.json");
    }

    [Fact]
    public void Missing_weights_file_is_named()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(true, 2, context: 64), 1);
        File.Delete(Path.Combine(ckpt, "model.safetensors"));
        AssertFailsCleanly(ckpt, "model.safetensors");
    }

    [Fact]
    public void Existing_version_is_kept_unless_forced()
    {
        var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "ckpt"), TinyLlama.Config(true, 2, context: 64), 1);
        OnnxExporter.Export(ckpt, Out, new ExportOptions { UtcNow = () => new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var e = Assert.Throws<IOException>(() => OnnxExporter.Export(ckpt, Out, new ExportOptions()));
        Assert.Contains("--force", e.Message);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), ModelFolder.Load(Out).Info.ExportedAtUtc);

        OnnxExporter.Export(ckpt, Out, new ExportOptions { Force = true, UtcNow = () => new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc) });
        Assert.Equal(new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc), ModelFolder.Load(Out).Info.ExportedAtUtc);
        Assert.Equal(["v1"], Directory.GetFileSystemEntries(Models).Select(Path.GetFileName));
    }
}
