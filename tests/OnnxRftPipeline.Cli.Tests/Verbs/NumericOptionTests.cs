using System.Text.Json.Nodes;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// Every verb's numeric options at values they must refuse (negative, NaN, ±Infinity, overflow): exit 2, one line naming the option
/// (no stack trace), and no output folder. Also a model folder whose files are broken or disagree with each other.
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public sealed class NumericOptionTests : IClassFixture<NumericOptionTests.Inputs>
{
    /// <summary>A tiny exported model and a small data set, made once.</summary>
    public sealed class Inputs : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("rft-numeric-").FullName;
        public string Models => Path.Combine(Root, "models");
        public string Model => Path.Combine(Models, TinyLlama.Name);
        public string Data => Path.Combine(Root, "data");
        public Inputs()
        {
            TinyLlama.ExportModel(Models, "v1", seed: 5);
            Assert.Equal(CliHost.Ok, Rft("data", "synth", "--task", "count", "--n", "8", "--eval-n", "4", "--out", Data).Result.Code);
        }
        public void Dispose() { try { Directory.Delete(Root, true); } catch (IOException) { } }
    }

    readonly Inputs inputs;
    public NumericOptionTests(Inputs inputs) => this.inputs = inputs;

    static Task<(int Code, string Error)> Rft(params string[] args) => RftProcess.RunAsync(args);

    public static TheoryData<string, string, string> Refused => new()
    {
        // verb, option, value
        { "sample", "--temperature", "-1" }, { "sample", "--temperature", "NaN" }, { "sample", "--temperature", "Infinity" }, { "sample", "--temperature", "1e400" },
        { "sample", "--top-p", "NaN" }, { "sample", "--top-p", "0" }, { "sample", "--top-p", "-Infinity" }, { "sample", "--top-p", "1.5" },
        { "sample", "--threads", "-4" }, { "sample", "--k", "0" }, { "sample", "--k", "-3" }, { "sample", "--max-new-tokens", "0" },
        { "sample", "--top-k", "-1" }, { "sample", "--max-batch-rows", "0" }, { "sample", "--prompts-per-part", "-1" },
        { "eval", "--temperature", "NaN" }, { "eval", "--temperature", "Infinity" }, { "eval", "--threads", "-4" }, { "eval", "--k", "0" },
        { "eval", "--max-new-tokens", "-5" },
        { "train", "--lr", "NaN" }, { "train", "--lr", "Infinity" }, { "train", "--lr", "-0.1" }, { "train", "--threads", "-4" }, { "train", "--threads", "0" },
        { "train", "--epochs", "0" }, { "train", "--batch-size", "-2" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_bad_numeric_value_is_refused_by_name_and_nothing_is_written(string verb, string option, string value)
    {
        var outDir = Path.Combine(inputs.Root, "out-" + Guid.NewGuid().ToString("N")[..8]);
        string[] args = verb switch
        {
            "sample" => ["sample", "--model", inputs.Model, "--prompts", Path.Combine(inputs.Data, "train"), "--verifier", "numeric", "--out", outDir, option, value],
            "eval" => ["eval", "--model", inputs.Model, "--data", Path.Combine(inputs.Data, "eval"), "--verifier", "numeric", "--out", outDir, option, value],
            _ => ["train", "--data", Path.Combine(inputs.Data, "train"), "--out", outDir, "--preset", "tiny", .. option == "--epochs" ? Array.Empty<string>() : ["--epochs", "1"], option, value],
        };
        var (code, error) = await Rft(args);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains(option, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Path.Combine(outDir, "checkpoint")), "a checkpoint was written");
        Assert.True(!Directory.Exists(outDir) || Directory.GetFiles(outDir, "*.parquet", SearchOption.AllDirectories).Length == 0, "output was written");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("empty")]
    public async Task A_broken_model_onnx_is_an_error_naming_the_file(string how)
    {
        var models = Path.Combine(inputs.Root, "broken-" + how);
        var version = TinyLlama.ExportModel(models, "v1", seed: 5);
        var onnx = Path.Combine(version, "model.onnx");
        var bytes = File.ReadAllBytes(onnx);
        File.WriteAllBytes(onnx, how == "empty" ? [] : bytes[..(bytes.Length / 2)]);
        var outDir = Path.Combine(inputs.Root, "out-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, error) = await Rft("eval", "--model", Path.Combine(models, TinyLlama.Name), "--data", Path.Combine(inputs.Data, "eval"), "--verifier", "numeric", "--out", outDir);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains("model.onnx", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task A_genai_config_whose_vocab_size_disagrees_with_the_graph_is_refused_when_opened()
    {
        var models = Path.Combine(inputs.Root, "vocab");
        var version = TinyLlama.ExportModel(models, "v1", seed: 5);
        var cfg = Path.Combine(version, "genai_config.json");
        var json = JsonNode.Parse(File.ReadAllText(cfg))!;
        json["model"]!["vocab_size"] = 300;   // the graph's logits have 259 columns
        File.WriteAllText(cfg, json.ToJsonString());
        var outDir = Path.Combine(inputs.Root, "out-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, error) = await Rft("sample", "--model", Path.Combine(models, TinyLlama.Name), "--prompts", Path.Combine(inputs.Data, "train"),
            "--verifier", "numeric", "--out", outDir, "--k", "1");
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains("genai_config.json", error);
        Assert.Contains("vocab_size 300", error);
        Assert.Contains("259", error);
        Assert.False(Directory.Exists(outDir) && Directory.GetFiles(outDir, "*.parquet").Length > 0);
    }
}
