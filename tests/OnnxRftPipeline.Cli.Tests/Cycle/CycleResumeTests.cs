using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>One uninterrupted tiny cycle, shared by the kill-and-resume tests that compare against it.</summary>
public sealed class UninterruptedCycle : IAsyncLifetime
{
    public static readonly CycleConfig Config = new()
    {
        Preset = "tiny", N = 60, EvalN = 12, ProbeEpochs = 2, TrainEpochs = 3, K = 2, MaxNewTokens = 24, Threads = 1, SelectFraction = 0.5,
    };
    public string Root { get; } = Directory.CreateTempSubdirectory("rft-cycle-").FullName;
    public CycleResult Result { get; private set; } = null!;

    public async Task InitializeAsync() => Result = await new CycleRunner(Path.Combine(Root, "straight"), Config).RunAsync(CancellationToken.None);

    public Task DisposeAsync()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}

[Collection(CycleCollection.Name)]
public class CycleResumeTests(UninterruptedCycle straight) : IClassFixture<UninterruptedCycle>
{
    [Fact]
    public async Task The_report_compares_the_retrained_model_with_the_probe_prompt_by_prompt()
    {
        var r = straight.Result;
        var p = await CycleReport.PairedAsync(r.RunDir, "probe", "final", CancellationToken.None);
        Assert.Equal(12, p.Items);
        // Prompts fixed minus prompts broken is the change in prompts answered right.
        Assert.Equal(Math.Round((r.FinalEval.GreedyAccuracy - r.ProbeEval.GreedyAccuracy) * 12), p.Fixed - p.Broken);
        Assert.Contains(OnnxRftPipeline.Cli.Report.ReportFormat.Paired(p), File.ReadAllText(Path.Combine(r.RunDir, "report.md")));
    }

    [Fact]
    public void The_uninterrupted_cycle_completes_every_stage_and_samples_only_hard_prompts()
    {
        var r = straight.Result;
        Assert.All(r.Manifest.Stages, s => Assert.Equal("done", s.Status));
        Assert.Equal(["data", "probe", "export-probe", "select", "sample", "build", "retrain", "export-final", "eval-final", "eval-probe", "report"],
            r.Manifest.Stages.Select(s => s.Name));
        Assert.Equal(30, r.Sample.Prompts);                 // half of 60 selected hard
        Assert.Equal(60, r.Sample.Candidates);              // K = 2 each
        Assert.Equal(12, r.FinalEval.Examples);
        var report = File.ReadAllText(Path.Combine(r.RunDir, "report.md"));
        Assert.Contains("probe SFT", report);
        Assert.DoesNotContain("(running)", report);
        Assert.Contains("The data marks 12 demonstrations as noisy", report);   // 20% noise of 60 synthetic rows   // a finished run's report shows no stage as still running
        Assert.All(new[] { "report-loss-trajectories.png", "report-hardness.png", "report-arms.png" },
            png => Assert.True(File.Exists(Path.Combine(r.RunDir, png)), png));
    }

    [Theory]
    [InlineData("select", 0)]    // killed between stages
    [InlineData("sample", 0)]    // killed as sampling starts
    [InlineData("retrain", 3)]   // killed inside retraining, after step 3 (mid-epoch 2: resumes from epoch 1's saved state)
    public async Task A_killed_cycle_resumes_to_the_same_outputs(string stage, int afterStep)
    {
        var dir = Path.Combine(straight.Root, $"killed-{stage}");
        using var kill = new CancellationTokenSource();
        var first = new CycleRunner(dir, UninterruptedCycle.Config)
        {
            OnStageStarting = name => { if (name == stage && afterStep == 0) kill.Cancel(); },
            OnTrainProgress = (trainDir, p) => { if (stage == "retrain" && trainDir == "final" && p.Step >= afterStep && afterStep > 0) kill.Cancel(); },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(kill.Token));
        Assert.NotEqual("done", RunManifest.TryLoad(dir)!.Stage(stage).Status);

        var resumed = await new CycleRunner(dir, UninterruptedCycle.Config).RunAsync(CancellationToken.None);
        Assert.All(resumed.Manifest.Stages, s => Assert.Equal("done", s.Status));
        var a = straight.Result.RunDir;
        Assert.Equal(await Candidates(a), await Candidates(dir));
        Assert.Equal(await NextSet(a), await NextSet(dir));
        Assert.Equal(await Predictions(a, "final"), await Predictions(dir, "final"));
        AssertSameWeights(Path.Combine(a, "final/checkpoint/model.safetensors"), Path.Combine(dir, "final/checkpoint/model.safetensors"));
    }

    static async Task<List<string>> Candidates(string run) =>
        (await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(run, "candidates")))
        .Select(c => $"{c.PromptId}|{c.CandidateIndex}|{c.Text}|{c.Accepted}|{c.SumLogprob:F5}").Order().ToList();

    static async Task<List<string>> NextSet(string run) =>
        (await PartFiles.ReadAllAsync<NextStageRow>(Path.Combine(run, "next"))).Select(r => $"{r.Id}|{r.Origin}|{r.Response}|{r.Weight}").ToList();

    internal static async Task<List<string>> Predictions(string run, string arm) =>
        (await PartFiles.ReadAllAsync<EvalResultRow>(Path.Combine(run, "eval", arm, "results"))).Select(r => $"{r.ExampleId}|{r.Prediction}|{r.Correct}").ToList();

    internal static void AssertSameWeights(string a, string b)
    {
        var x = SafeTensors.Read(a);
        var y = SafeTensors.Read(b);
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        foreach (var (name, t) in x)
            for (int i = 0; i < t.Data.Length; i++)
                Assert.True(Math.Abs(t.Data[i] - y[name].Data[i]) <= 1e-5, $"{name}[{i}]: {t.Data[i]} vs {y[name].Data[i]}");
    }
}
