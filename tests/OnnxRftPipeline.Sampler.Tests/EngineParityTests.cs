using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Engine.GenAi;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>
/// The model folders the engine tests open, exported once per test class: tiny random models (standard, contrib, and one whose
/// head says eos where it would say a common byte) and two Hugging Face fixtures (byte-level Llama standard, Qwen2 contrib).
/// </summary>
public sealed class EngineModelsFixture : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("rft-engines-").FullName;
    readonly Dictionary<string, string> _dirs = [];
    readonly Lock _lock = new();

    public string Dir(string name)
    {
        lock (_lock)
        {
            if (!_dirs.TryGetValue(name, out var dir)) _dirs[name] = dir = Export(name);
            return dir;
        }
    }

    string Export(string name)
    {
        var models = Path.Combine(_root, "models");
        switch (name)
        {
            case "tiny-standard": return TinyLlama.ExportModel(models, "standard", seed: 11);
            case "tiny-contrib": return TinyLlama.ExportModel(models, "contrib", seed: 11, ops: GraphOps.Contrib);
            case "tiny-eos":
            {
                // The head's eos row is 1.05 × the row of the byte the standard model says first for the eos prompt, so this
                // model ends there with eos (a random model never picks eos by itself).
                var first = EngineParityTests.Native(Dir("tiny-standard"), e => e.Generate([EngineParityTests.EosPrompt],
                    new SamplingSettings { Temperature = 0, MaxNewTokens = 4 }).Single().Tokens[2]);
                var ckpt = TinyLlama.WriteCheckpoint(Path.Combine(_root, "eos-ckpt"), TinyLlama.Config(), 11, tensors =>
                {
                    var head = tensors.Single(t => t.Name == "lm_head.weight");
                    int h = (int)head.Shape[1];
                    for (int j = 0; j < h; j++) head.Data[ByteTokenizer.Eos * h + j] = 1.05f * head.Data[first * h + j];
                    return tensors;
                });
                return OnnxExporter.Export(ckpt, Path.Combine(models, "eos", "v1"), new ExportOptions()).OutDir;
            }
            case "hf-llama": return OnnxExporter.Export(HfFixtures.Dir(HfFixtures.ByteLevel), Path.Combine(models, "llama", "v1"), new ExportOptions()).OutDir;
            case "hf-qwen2-contrib": return OnnxExporter.Export(HfFixtures.Dir(HfFixtures.Qwen2), Path.Combine(models, "qwen2", "v1"), new ExportOptions { Ops = GraphOps.Contrib }).OutDir;
            default: throw new ArgumentException(name);
        }
    }

    public void Dispose() { try { Directory.Delete(_root, recursive: true); } catch (IOException) { } }
}

/// <summary>
/// The behaviour both generation engines share, run against each (<c>native</c>: the own ONNX Runtime engine, <c>genai</c>:
/// onnxruntime-genai's Generator): K candidates per prompt in order, the finishing rules and their reasons, stop strings cut,
/// max new tokens, the context limit, log-probabilities; and on fp32 graphs greedy decoding gives the same tokens and
/// log-probabilities on both. Asking either engine for CUDA where there is none is an error, never a CPU run.
/// </summary>
public sealed class EngineParityTests(EngineModelsFixture models) : IClassFixture<EngineModelsFixture>
{
    static readonly ByteTokenizer Tok = new();
    internal static readonly PromptRequest EosPrompt = new("eos", PromptFormat.EncodePrompt(Tok, "Q: 7+8\n"), 1);
    // Different lengths, so right padding, per-row positions and per-row prefill logits all matter.
    static readonly string[] Texts = ["Q: 1+2\n", "Q: 123+4567\n", "Q: a much longer prompt here\n"];

    static List<PromptRequest> Prompts(int k, params string[] texts) =>
        texts.Select((t, i) => new PromptRequest($"p{i}", PromptFormat.EncodePrompt(Tok, t), k)).ToList();

    internal static T Native<T>(string dir, Func<IGenerationEngine, T> use)
    {
        var folder = ModelFolder.Load(dir);
        using var decoder = OnnxDecoder.Open(folder, threads: 1);
        return use(new Generator(decoder, folder.Tokenizer, new GeneratorOptions { ContextLength = folder.Config.Model.ContextLength }));
    }

    static T GenAi<T>(string dir, Func<IGenerationEngine, T> use, int maxRows = GenAiOptions.MaxGeneratorRows)
    {
        using var engine = new GenAiGenerator(ModelFolder.Load(dir), new GenAiOptions { Threads = 1, MaxBatchRows = maxRows });
        return use(engine);
    }

    static List<Generation> Run(string engine, string dir, IReadOnlyList<PromptRequest> prompts, SamplingSettings s) => engine switch
    {
        "native" => Native(dir, e => e.Generate(prompts, s).ToList()),
        "genai" => GenAi(dir, e => e.Generate(prompts, s).ToList()),
        _ => throw new ArgumentException(engine),
    };

    static void AssertLogprobs(Generation g)
    {
        Assert.Equal(g.Tokens.Length, g.TokenLogprobs.Count);
        Assert.All(g.TokenLogprobs, lp => Assert.True(double.IsFinite(lp) && lp <= 0, $"token logprob {lp}"));
        Assert.True(double.IsFinite(g.SumLogprob) && g.SumLogprob <= 0, $"sum logprob {g.SumLogprob}");
        // The sum covers every sampled token, eos and cut stop tokens too: never more than the kept tokens' sum.
        Assert.True(g.SumLogprob <= g.TokenLogprobs.Sum() + 1e-9);
    }

    [Theory]
    [InlineData("tiny-standard")]
    [InlineData("tiny-contrib")]
    [InlineData("hf-llama")]
    [InlineData("hf-qwen2-contrib")]
    public void Greedy_decoding_gives_the_same_tokens_and_logprobs_on_both_engines(string model)
    {
        var dir = models.Dir(model);
        var tok = ModelFolder.Load(dir).Tokenizer;
        // The product's tokenizer makes the ids (bos where it adds one) and both engines get those very ids.
        var prompts = Texts.Select((t, i) => new PromptRequest($"p{i}", PromptFormat.EncodePrompt(tok, t), 2)).ToList();
        var s = new SamplingSettings { Temperature = 0, MaxNewTokens = 20 };
        var native = Run("native", dir, prompts, s);
        var genai = Run("genai", dir, prompts, s);
        Assert.Equal(native.Select(g => (g.PromptId, g.CandidateIndex)), genai.Select(g => (g.PromptId, g.CandidateIndex)));
        for (int i = 0; i < native.Count; i++)
        {
            Assert.Equal(native[i].Tokens, genai[i].Tokens);
            Assert.Equal(native[i].FinishReason, genai[i].FinishReason);
            Assert.Equal(native[i].SampledTokens, genai[i].SampledTokens);
            Assert.Equal(native[i].SumLogprob, genai[i].SumLogprob, 1e-4);
            for (int j = 0; j < native[i].TokenLogprobs.Count; j++) Assert.Equal(native[i].TokenLogprobs[j], genai[i].TokenLogprobs[j], 1e-4);
            AssertLogprobs(genai[i]);
        }
    }

    [Theory]
    [InlineData("native")]
    [InlineData("genai")]
    public void Every_prompt_gets_K_sampled_candidates_in_input_order(string engine)
    {
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 12, Seed = 5 };
        var got = Run(engine, models.Dir("tiny-standard"), Prompts(3, Texts), s);
        Assert.Equal(Texts.SelectMany((_, i) => Enumerable.Range(0, 3).Select(k => ($"p{i}", k))), got.Select(g => (g.PromptId, g.CandidateIndex)));
        // Sampling at temperature 1 on a random model: a prompt's candidates are not one greedy copy.
        Assert.All(got.GroupBy(g => g.PromptId), p => Assert.True(p.Select(g => string.Join(",", g.Tokens)).Distinct().Count() > 1));
        Assert.All(got, AssertLogprobs);
    }

    // 40 candidates of one prompt: more than GenAI's 32 rows, so genai spreads them over two generators with their own seeds.
    [Theory]
    [InlineData("native")]
    [InlineData("genai")]
    public void More_candidates_than_a_generator_holds_are_all_drawn_and_differ(string engine)
    {
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 8, Seed = 9 };
        var got = Run(engine, models.Dir("tiny-standard"), Prompts(40, Texts[0]), s);
        Assert.Equal(Enumerable.Range(0, 40), got.Select(g => g.CandidateIndex));
        Assert.True(got.Select(g => string.Join(",", g.Tokens)).Distinct().Count() > 20);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("genai")]
    public void Eos_ends_a_row_with_reason_eos_and_is_not_in_its_tokens(string engine)
    {
        var dir = models.Dir("tiny-eos");
        var g = Run(engine, dir, [EosPrompt], new SamplingSettings { Temperature = 0, MaxNewTokens = 20 }).Single();
        Assert.Equal("eos", g.FinishReason);
        Assert.Equal(2, g.Tokens.Length);                 // the model says eos where the standard model said its third byte
        Assert.Equal(3, g.SampledTokens);                 // eos is sampled (and counted), not kept
        AssertLogprobs(g);
        // A row that says eos on the generator's very last step (GenAI leaves that eos out of GetSequence) still ends "eos".
        var last = Run(engine, dir, [EosPrompt], new SamplingSettings { Temperature = 0, MaxNewTokens = 3 }).Single();
        Assert.Equal(("eos", 2, 3), (last.FinishReason, last.Tokens.Length, last.SampledTokens));
    }

    [Theory]
    [InlineData("native")]
    [InlineData("genai")]
    public void A_stop_string_is_cut_from_the_text_and_max_new_tokens_ends_with_length(string engine)
    {
        var dir = models.Dir("tiny-standard");
        var greedy = new SamplingSettings { Temperature = 0, MaxNewTokens = 16 };
        var full = Run(engine, dir, Prompts(1, Texts[0]), greedy).Single();
        Assert.Equal(("length", 16, 16), (full.FinishReason, full.Tokens.Length, full.SampledTokens));
        // Stop at the first byte that was not produced before, so the cut lands exactly there.
        int j = Enumerable.Range(1, full.Tokens.Length - 1).First(i => !full.Tokens[..i].Contains(full.Tokens[i]));
        var cut = Run(engine, dir, Prompts(1, Texts[0]), greedy with { StopStrings = [Tok.Decode([full.Tokens[j]])] }).Single();
        Assert.Equal("stop", cut.FinishReason);
        Assert.Equal(full.Tokens[..j], cut.Tokens);
        Assert.Equal(j + 1, cut.SampledTokens);
        Assert.Equal(full.TokenLogprobs.Take(j), cut.TokenLogprobs);
        var shorter = Run(engine, dir, Prompts(1, Texts[0]), greedy with { MaxNewTokens = 5 }).Single();
        Assert.Equal("length", shorter.FinishReason);
        Assert.Equal(full.Tokens[..5], shorter.Tokens);
    }

    // A prompt of 80 tokens in a context of 96 and a short one batched with it: the long one stops at the context (16 new
    // tokens), the short one runs its full 30, exactly as the native engine decodes them.
    [Theory]
    [InlineData("native")]
    [InlineData("genai")]
    public void The_context_length_ends_a_row_and_does_not_cut_its_batch_mates(string engine)
    {
        var dir = models.Dir("tiny-standard");
        var longText = "Q: " + new string('x', 75) + "\n";
        var prompts = Prompts(2, Texts[0], longText);
        Assert.Equal(80, prompts[1].Tokens.Length);
        var s = new SamplingSettings { Temperature = 0, MaxNewTokens = 30 };
        var got = Run(engine, dir, prompts, s);
        Assert.All(got, g => Assert.Equal("length", g.FinishReason));
        Assert.All(got.Where(g => g.PromptId == "p1"), g => Assert.Equal(TinyLlama.Context - 80, g.SampledTokens));
        Assert.All(got.Where(g => g.PromptId == "p0"), g => Assert.Equal(30, g.SampledTokens));
        var alone = Run(engine, dir, Prompts(1, Texts[0]), s).Single();
        Assert.Equal(alone.Tokens, got.First(g => g.PromptId == "p0").Tokens);
        var refused = Assert.Throws<ArgumentException>(() => Run(engine, dir, [new PromptRequest("big", new int[TinyLlama.Context], 1)], s));
        Assert.Contains("'big'", refused.Message);
    }

    // GenAI samples from processed scores; the logits output read after each step must still be the model's raw logits, so
    // a sampled candidate's logprobs equal the untempered log-softmax of one full forward pass over prompt + tokens.
    [Fact]
    public void Genai_sampled_logprobs_are_the_models_untempered_logprobs_of_the_drawn_tokens()
    {
        var dir = models.Dir("tiny-standard");
        var s = new SamplingSettings { Temperature = 0.5, TopK = 5, TopP = 0.9, MaxNewTokens = 10, Seed = 2 };
        var got = Run("genai", dir, Prompts(2, Texts[0], Texts[1]), s);
        using var decoder = OnnxDecoder.Open(ModelFolder.Load(dir), threads: 1);
        int v = decoder.VocabSize, checkedTokens = 0;
        foreach (var g in got)
        {
            var prompt = PromptFormat.EncodePrompt(Tok, Texts[int.Parse(g.PromptId[1..])]);
            var seq = prompt.Concat(g.Tokens).Select(x => (long)x).ToArray();
            int n = seq.Length;
            using var ids = OrtValue.CreateTensorValueFromMemory(seq, [1, n]);
            using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, n).ToArray(), [1, n]);
            using var pos = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), [1, n]);
            using var outputs = decoder.RunWithoutPast(ids, mask, pos);
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            for (int j = 0; j < g.Tokens.Length; j++)
            {
                var row = logits.Slice((prompt.Length - 1 + j) * v, v).ToArray();
                double max = row.Max(), logZ = Math.Log(row.Sum(x => Math.Exp(x - max))) + max;
                Assert.Equal(row[g.Tokens[j]] - logZ, g.TokenLogprobs[j], 1e-4);
                checkedTokens++;
            }
        }
        Assert.True(checkedTokens >= 10);
    }

    [Fact]
    public void Cuda_on_the_native_engine_is_an_error_naming_the_missing_provider()
    {
        using var so = new SessionOptions();
        var e = Assert.Throws<InvalidOperationException>(() => ExecutionProviders.Append(so, ComputeDevice.Cuda));
        Assert.True(UserError.IsMarked(e));
        Assert.Contains("--device cuda", e.Message);
        Assert.Contains("no CUDA provider", e.Message);          // the CPU package, as this build has
        Assert.Contains("RftCuda", e.Message);
        ExecutionProviders.Append(so, ComputeDevice.Cpu);        // cpu adds nothing and never fails
    }

    [Fact]
    public void Cuda_on_the_genai_engine_is_an_error_naming_the_missing_flavour_not_a_cpu_run()
    {
        var folder = ModelFolder.Load(models.Dir("tiny-standard"));
        var e = Assert.Throws<InvalidOperationException>(() => new GenAiGenerator(folder, new GenAiOptions { Device = ComputeDevice.Cuda }));
        Assert.True(UserError.IsMarked(e));
        Assert.Contains("--device cuda", e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntimeGenAI.Cuda", e.Message);
    }

    [Theory]
    [InlineData("cpu", ComputeDevice.Cpu)]
    [InlineData(" CUDA ", ComputeDevice.Cuda)]
    public void Devices_have_one_spelling(string text, ComputeDevice device)
    {
        Assert.Equal(device, ComputeDevices.Parse(text, "--device"));
        Assert.Equal(text.Trim().ToLowerInvariant(), ComputeDevices.Name(device));
        var bad = Assert.Throws<ArgumentException>(() => ComputeDevices.Parse("gpu", "--device"));
        Assert.Equal("--device takes cpu, cuda, got 'gpu'", bad.Message);
    }

    [Fact]
    public void Genai_seeds_are_per_generator_and_derived_from_the_groups_first_candidate()
    {
        Assert.Equal(GenAiGenerator.GroupSeed(1, "p0", 0), GenAiGenerator.GroupSeed(1, "p0", 0));
        Assert.NotEqual(GenAiGenerator.GroupSeed(1, "p0", 0), GenAiGenerator.GroupSeed(1, "p0", 32));
        Assert.NotEqual(GenAiGenerator.GroupSeed(1, "p0", 0), GenAiGenerator.GroupSeed(2, "p0", 0));
        Assert.InRange(GenAiGenerator.GroupSeed(7, "x", 0), 0, int.MaxValue);
        // Same prompts, order and settings: the same candidates.
        var s = new SamplingSettings { Temperature = 1.0, MaxNewTokens = 8, Seed = 3 };
        var a = Run("genai", models.Dir("tiny-standard"), Prompts(2, Texts), s);
        var b = Run("genai", models.Dir("tiny-standard"), Prompts(2, Texts), s);
        Assert.Equal(a.Select(g => g.Tokens), b.Select(g => g.Tokens));
    }
}
