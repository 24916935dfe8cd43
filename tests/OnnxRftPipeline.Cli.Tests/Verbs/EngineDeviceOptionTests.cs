using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// `--engine native|genai` and `--device cpu|cuda` through the verbs and the cycle config: a value outside the one spelling is refused
/// by name; cuda on this CPU-only build is a clear error naming what is missing (never a CPU run); genai samples through the same
/// job (same candidate files, its engine recorded), greedy text equal to native's, and a resume with another engine is refused.
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public sealed class EngineDeviceOptionTests : IClassFixture<EngineDeviceOptionTests.Inputs>
{
    public sealed class Inputs : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("rft-engine-").FullName;
        public string Model => Path.Combine(Root, "models", TinyLlama.Name);
        public string Data => Path.Combine(Root, "data");
        public Inputs()
        {
            TinyLlama.ExportModel(Path.Combine(Root, "models"), "v1", seed: 5);
            Assert.Equal(CliHost.Ok, RftProcess.RunAsync("data", "synth", "--task", "count", "--n", "12", "--eval-n", "4", "--out", Data).Result.Code);
        }
        public void Dispose() { try { Directory.Delete(Root, true); } catch (IOException) { } }
    }

    readonly Inputs inputs;
    public EngineDeviceOptionTests(Inputs inputs) => this.inputs = inputs;

    string Out() => Path.Combine(inputs.Root, "out-" + Guid.NewGuid().ToString("N")[..8]);

    string[] Sample(string outDir, params string[] extra) =>
        ["sample", "--model", inputs.Model, "--prompts", Path.Combine(inputs.Data, "train"), "--verifier", "numeric", "--out", outDir, "--k", "2",
         "--max-new-tokens", "12", .. extra];

    [Theory]
    [InlineData("sample", "--engine", "onnx", "native, genai")]
    [InlineData("sample", "--device", "gpu", "cpu, cuda")]
    [InlineData("eval", "--engine", "vllm", "native, genai")]
    [InlineData("sample", "--device", "cuda", "no CUDA provider")]
    [InlineData("eval", "--device", "cuda", "no CUDA provider")]
    [InlineData("sample", "--engine genai --device", "cuda", "Microsoft.ML.OnnxRuntimeGenAI.Cuda")]
    [InlineData("serve", "--device", "cuda", "no CUDA provider")]
    [InlineData("serve", "--engine", "genai", "only the native engine")]
    [InlineData("train", "--device", "cuda", "libtorch-cpu")]
    public async Task A_value_outside_the_spelling_or_a_device_this_build_lacks_is_refused_by_name(string verb, string option, string value, string says)
    {
        var outDir = Out();
        var extra = option.Split(' ').Append(value).ToArray();
        string[] args = verb switch
        {
            "sample" => Sample(outDir, extra),
            "eval" => ["eval", "--model", inputs.Model, "--data", Path.Combine(inputs.Data, "eval"), "--verifier", "numeric", "--out", outDir, .. extra],
            "serve" => ["serve", "--model", inputs.Model, "--port", "0", .. extra],
            _ => ["train", "--data", Path.Combine(inputs.Data, "train"), "--out", outDir, "--preset", "tiny", "--epochs", "1", .. extra],
        };
        var (code, error) = await RftProcess.RunAsync(args);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains(option.Split(' ')[^1], error);
        Assert.Contains(says, error);
        Assert.DoesNotContain("   at ", error);
        Assert.True(!Directory.Exists(outDir) || Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).All(f => f.Contains(".rft-lock")),
            "output was written");
    }

    [Fact]
    public async Task A_cycle_config_with_an_unknown_engine_is_refused_naming_the_field_before_any_stage()
    {
        var config = Path.Combine(inputs.Root, $"cfg-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """{"engine": "turbo", "preset": "tiny"}""");
        var outDir = Out();
        var (code, error) = await RftProcess.RunAsync("cycle", "--config", config, "--out", outDir);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains("engine", error);
        Assert.Contains("turbo", error);
        Assert.False(Directory.Exists(Path.Combine(outDir, "probe")), "a stage ran");
    }

    [Fact]
    public async Task Genai_samples_through_the_same_job_with_its_engine_recorded_and_greedy_text_equal_to_native()
    {
        var native = Out();
        var genai = Out();
        Assert.Equal(CliHost.Ok, (await RftProcess.RunAsync(Sample(native, "--temperature", "0"))).Code);
        var (code, error) = await RftProcess.RunAsync(Sample(genai, "--temperature", "0", "--engine", "genai"));
        Assert.True(code == CliHost.Ok, error);

        var a = (await PartFiles.ReadAllAsync<CandidateRow>(native, default)).OrderBy(c => c.PromptId).ThenBy(c => c.CandidateIndex).ToList();
        var b = (await PartFiles.ReadAllAsync<CandidateRow>(genai, default)).OrderBy(c => c.PromptId).ThenBy(c => c.CandidateIndex).ToList();
        Assert.NotEmpty(a);
        Assert.Equal(a.Select(c => (c.PromptId, c.CandidateIndex, c.Text, c.FinishReason, c.GeneratedTokens)),
                     b.Select(c => (c.PromptId, c.CandidateIndex, c.Text, c.FinishReason, c.GeneratedTokens)));
        Assert.All(a, c => Assert.DoesNotContain("engine", c.SamplerSettings));
        Assert.All(b, c => Assert.Contains("\"engine\":\"genai\"", c.SamplerSettings));

        // The genai job's parts were drawn by genai: resuming them with the native engine would mix two engines' candidates.
        var (resumeCode, resumeError) = await RftProcess.RunAsync(Sample(genai, "--temperature", "0", "--resume"));
        Assert.Equal(CliHost.BadInput, resumeCode);
        Assert.Contains("engine", resumeError);
    }
}
