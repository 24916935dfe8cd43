using System.Text.Json;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.TestSupport;

/// <summary>
/// The Hugging Face checkpoints transformers itself wrote (random weights) with what transformers computed from them:
/// reference.json (token ids, decoded text, greedy continuations) and reference_logits.safetensors (p0..p5, float32
/// [len(input_ids), vocab], the full forward of greedy[i].input_ids). Two live in the repository (tests/fixtures/hf),
/// two beside it in shared/fixtures/hf (a clone's sibling folder; see its README). Every test project that uses them
/// references this library, so the folder names and the reference format are read in one place.
/// </summary>
public static class HfFixtures
{
    /// <summary>Byte-level BPE, Llama, fp32, one safetensors file, no bos from the post-processor.</summary>
    public const string ByteLevel = "llama-bytelevel-fp32";
    /// <summary>Metaspace BPE with bos, Llama with llama3 rope, bf16 weights in 4 shards, reference computed in bf16.</summary>
    public const string SpmBf16 = "llama-spm-bf16-sharded";
    /// <summary>Qwen2: q/k/v biases, tied head, linear rope written the older way, fp32. Its ids are not its tokenizer.json's.</summary>
    public const string Qwen2 = "qwen2-tied-bias-fp32";
    /// <summary>Mistral: head_dim 32 ≠ hidden/heads, fp16 weights in 3 shards, reference computed in fp32; decoded keeps specials.</summary>
    public const string Mistral = "mistral-headdim-fp16-sharded";

    public static readonly string[] All = [ByteLevel, SpmBf16, Qwen2, Mistral];

    /// <summary>The repository root: the folder above the test binaries that holds OnnxRftPipeline.sln.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxRftPipeline.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("OnnxRftPipeline.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A fixture's folder: the repository's own (tests/fixtures/hf), else shared/fixtures/hf beside the repository.</summary>
    public static string Dir(string name)
    {
        var root = RepoRoot();
        var inRepo = Path.Combine(root, "tests", "fixtures", "hf", name);
        if (Directory.Exists(inRepo)) return inRepo;
        var shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "fixtures", "hf", name));
        if (Directory.Exists(shared)) return shared;
        throw new DirectoryNotFoundException($"fixture {name} is in neither {inRepo} nor {shared} (shared/ is expected beside the repository)");
    }

    /// <summary>The checkpoint's tokenizer as the product loads it: its files, with config.json / generation_config.json's special ids as fallbacks.</summary>
    public static ITokenizer Tokenizer(string dir) =>
        TokenizerFiles.Load(dir, SpecialIds.Fallbacks(dir, LlamaConfig.Load(Path.Combine(dir, "config.json"))));

    public static HfReference Reference(string name) => HfReference.Load(Dir(name));
}

public sealed record TokenizeProbe(string Text, int[] IdsNoSpecial, int[] IdsHfDefault, string Decoded);

public sealed record GreedyProbe(string Prompt, int[] InputIds, int[] GeneratedIds, string GeneratedText, double LastTop2Margin);

/// <summary>One fixture's reference.json and reference_logits.safetensors.</summary>
public sealed record HfReference(string Dir, IReadOnlyList<TokenizeProbe> Tokenize, IReadOnlyList<GreedyProbe> Greedy,
    int Bos, int Eos, int Pad, int Vocab, string Arch, string Dtype)
{
    public static HfReference Load(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")));
        var r = doc.RootElement;
        static int[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var tokenize = r.GetProperty("tokenize").EnumerateArray().Select(t => new TokenizeProbe(t.GetProperty("text").GetString()!,
            Ids(t.GetProperty("ids_no_special")), Ids(t.GetProperty("ids_hf_default")), t.GetProperty("decoded").GetString()!)).ToList();
        var greedy = r.GetProperty("greedy").EnumerateArray().Select(g => new GreedyProbe(g.GetProperty("prompt").GetString()!,
            Ids(g.GetProperty("input_ids")), Ids(g.GetProperty("generated_ids")), g.GetProperty("generated_text").GetString()!,
            g.GetProperty("last_top2_margin").GetDouble())).ToList();
        return new HfReference(dir, tokenize, greedy, r.GetProperty("bos").GetInt32(), r.GetProperty("eos").GetInt32(),
            r.GetProperty("pad").GetInt32(), r.GetProperty("vocab").GetInt32(), r.GetProperty("arch").GetString()!, r.GetProperty("dtype").GetString()!);
    }

    /// <summary>transformers' logits for greedy[i].input_ids: [position][vocab].</summary>
    public float[][] Logits(int i)
    {
        var t = SafeTensors.Read(Path.Combine(Dir, "reference_logits.safetensors"))[$"p{i}"];
        int n = (int)t.Shape[0], v = (int)t.Shape[1];
        if (n != Greedy[i].InputIds.Length) throw new InvalidDataException($"p{i} has {n} rows for {Greedy[i].InputIds.Length} input ids");
        return Enumerable.Range(0, n).Select(j => t.Data.AsSpan(j * v, v).ToArray()).ToArray();
    }
}
