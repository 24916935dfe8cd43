using System.CommandLine;
using OnnxRftPipeline.Cli.Verbs;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>The `rft` entry point on bad input: a non-zero exit, and no output folder left behind.</summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public class BadInputTests
{
    static Task<int> Rft(params string[] args)
    {
        var root = new RootCommand("rft");
        foreach (var v in VerbCatalog.All()) root.Add(v);
        return CliHost.RunAsync(root, args);
    }

    static string Temp() => Path.Combine(Path.GetTempPath(), "rft-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Unknown_task_exits_2_and_writes_nothing()
    {
        var outDir = Temp();
        Assert.Equal(CliHost.BadInput, await Rft("data", "synth", "--task", "nope", "--out", outDir));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task Missing_input_folder_exits_2_and_writes_nothing()
    {
        var outDir = Temp();
        Assert.Equal(CliHost.BadInput, await Rft("select", "--trajectories", Temp(), "--out", outDir));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task A_file_of_the_wrong_artifact_exits_2_and_writes_nothing()
    {
        var data = Temp();
        Assert.Equal(CliHost.Ok, await Rft("data", "synth", "--task", "count", "--n", "10", "--eval-n", "2", "--out", data));
        var outDir = Temp();
        // SFT examples are not trajectories: the schema check names the missing column.
        Assert.Equal(CliHost.BadInput, await Rft("select", "--trajectories", Path.Combine(data, "train"), "--out", outDir));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task Bad_verifier_spec_and_bad_shard_exit_2()
    {
        var data = Temp();
        Assert.Equal(CliHost.Ok, await Rft("data", "synth", "--task", "count", "--n", "10", "--eval-n", "2", "--out", data));
        Assert.Equal(CliHost.BadInput, await Rft("sample", "--model", Temp(), "--prompts", Path.Combine(data, "train"), "--verifier", "numeric", "--out", Temp(), "--shard", "3/2"));
        Assert.Equal(CliHost.BadInput, await Rft("eval", "--model", Temp(), "--data", Path.Combine(data, "eval"), "--verifier", "numeric", "--out", Temp()));
    }

    [Fact]
    public async Task Pairs_from_a_file_that_is_not_candidates_exits_2_and_writes_nothing()
    {
        var data = Temp();
        Assert.Equal(CliHost.Ok, await Rft("data", "synth", "--task", "count", "--n", "10", "--eval-n", "2", "--out", data));
        var outDir = Temp();
        Assert.Equal(CliHost.BadInput, await Rft("pairs", "--data", Path.Combine(data, "train"), "--candidates", Path.Combine(data, "eval"), "--out", outDir));
        Assert.False(Directory.Exists(outDir));
        Assert.False(Directory.GetDirectories(Path.GetDirectoryName(outDir)!, "." + Path.GetFileName(outDir) + "*").Any()); // no staging left
    }

    [Fact]
    public async Task Spin_training_without_pairs_or_reference_exits_2_and_writes_nothing()
    {
        var outDir = Temp();
        Assert.Equal(CliHost.BadInput, await Rft("train", "--objective", "spin", "--reference", Temp(), "--out", outDir));
        Assert.Equal(CliHost.BadInput, await Rft("train", "--objective", "spin", "--pairs", Temp(), "--reference", Temp(), "--out", outDir));
        Assert.Equal(CliHost.BadInput, await Rft("train", "--objective", "ce", "--out", outDir));   // --data is required for SFT
        Assert.False(Directory.Exists(outDir));
    }

    static string RandomCheckpointDir() => TinyLlama.WriteCheckpoint(Temp(), TinyLlama.Config(), seed: 1);

    [Theory]
    [InlineData("int4")]
    [InlineData("fp16")]
    public async Task Export_with_a_bad_quantize_value_exits_2_names_the_option_and_writes_nothing(string value)
    {
        var ckpt = RandomCheckpointDir();
        var outDir = Path.Combine(Temp(), "m", "v1");
        var err = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(err);
        int code;
        try { code = await Rft("export", "--checkpoint", ckpt, "--out", outDir, "--quantize", value); }
        finally { Console.SetError(stderr); }
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains($"error: --quantize takes none or int8, got '{value}'", err.ToString());
        Assert.False(Directory.Exists(Path.GetDirectoryName(outDir)));
    }

    [Fact]
    public async Task Export_with_quantize_int8_records_it_in_rft_model_json()
    {
        var outDir = Path.Combine(Temp(), "m", "v1");
        Assert.Equal(CliHost.Ok, await Rft("export", "--checkpoint", RandomCheckpointDir(), "--out", outDir, "--ops", "contrib", "--quantize", "int8"));
        var info = OnnxRftPipeline.Contracts.Models.RftModelInfo.Load(Path.Combine(outDir, OnnxRftPipeline.Contracts.Models.RftModelInfo.FileName));
        Assert.Equal(("int8", "contrib"), (info.WeightQuantization, info.GraphOps));
    }

    [Fact]
    public async Task Unknown_options_are_rejected_with_a_non_zero_exit()
    {
        Assert.NotEqual(CliHost.Ok, await Rft("select", "--no-such-flag"));
    }
}
