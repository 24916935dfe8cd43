using System.Text.Json;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>The iterated SPIN form as a cycle option: stages chain models and references, and a killed run resumes.</summary>
[Collection(CycleCollection.Name)]
public class SpinCycleTests
{
    static readonly CycleConfig Config = UninterruptedCycle.Config with { SpinStages = 2, SpinEpochs = 2 };

    [Fact]
    public async Task Spin_stages_regenerate_with_the_latest_model_use_the_previous_as_reference_and_resume_after_a_kill()
    {
        var root = Directory.CreateTempSubdirectory("rft-spin-cycle-").FullName;
        try
        {
            var straight = await new CycleRunner(Path.Combine(root, "straight"), Config).RunAsync(CancellationToken.None);
            var names = straight.Manifest.Stages.Select(s => s.Name).ToList();
            Assert.Equal(["spin1-sample", "spin1-pairs", "spin1-train", "spin1-export", "spin2-sample", "spin2-pairs", "spin2-train", "spin2-export", "eval-spin", "report"],
                names.SkipWhile(n => n != "spin1-sample"));
            Assert.All(straight.Manifest.Stages, s => Assert.Equal("done", s.Status));
            var run = straight.RunDir;

            // Stage 1 samples with the retrained model, stage 2 with stage 1's SPIN model: every training prompt, K each.
            var c1 = await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(run, "spin/s1/candidates"));
            var c2 = await PartFiles.ReadAllAsync<CandidateRow>(Path.Combine(run, "spin/s2/candidates"));
            Assert.All(c1, c => Assert.Equal("final", c.ModelId));
            Assert.All(c2, c => Assert.Equal("spin-s1", c.ModelId));
            Assert.Equal(Config.N * Config.SpinK, c1.Count);
            Assert.Equal(Config.N * Config.SpinK, c2.Count);

            // Each stage's reference and starting point is the previous stage's checkpoint.
            Assert.Equal(Path.Combine(run, "final/checkpoint"), Start(run, 1).GetProperty("reference").GetString());
            Assert.Equal(Path.Combine(run, "spin/s1/train/checkpoint"), Start(run, 2).GetProperty("reference").GetString());
            Assert.Equal(Path.Combine(run, "spin/s1/train/checkpoint"), Start(run, 2).GetProperty("init").GetString());

            var pairs = await PartFiles.ReadAllAsync<PairRow>(Path.Combine(run, "spin/s2/pairs"));
            Assert.NotEmpty(pairs);
            Assert.All(pairs, p => Assert.NotEqual(p.Chosen, p.Rejected));
            Assert.NotNull(straight.Spin);
            Assert.Equal(pairs.Count + (await PartFiles.ReadAllAsync<PairRow>(Path.Combine(run, "spin/s1/pairs"))).Count, straight.Spin!.TrainingRows);
            Assert.Contains("SPIN stage", File.ReadAllText(Path.Combine(run, "report.md")));

            // Pairs written by a real cycle read back with ParquetSharp (independent of the Parquet.Net writer) as documented, with lineage.
            foreach (var file in Directory.GetFiles(Path.Combine(run, "spin"), "*.parquet", SearchOption.AllDirectories).Where(f => f.Contains("/pairs/")))
            {
                using var reader = new ParquetSharp.ParquetFileReader(file);
                var md = reader.FileMetaData;
                var doc = ParquetSharpSchema.Identify(md);
                Assert.Equal("pairs", doc?.Artifact);
                ParquetSharpSchema.AssertMatches(md, doc!, file);
                Assert.All(Lineage.RequiredKeys, key => Assert.True(md.KeyValueMetadata.ContainsKey(key), $"{file}: no lineage key '{key}'"));
                Assert.Equal("rft pairs", md.KeyValueMetadata[Lineage.ProducerKey]);
            }

            // The same steps by hand through the verbs: pairs are deterministic (byte-identical), and train --objective spin runs on them.
            string pairsA = Path.Combine(root, "pairs-a"), pairsB = Path.Combine(root, "pairs-b"), spinOut = Path.Combine(root, "spin-by-hand");
            string[] pairsArgs = ["pairs", "--data", Path.Combine(run, "data/train"), "--candidates", Path.Combine(run, "spin/s1/candidates"), "--chosen", "accepted"];
            Assert.Equal(CliHost.Ok, await Rft([.. pairsArgs, "--out", pairsA]));
            Assert.Equal(CliHost.Ok, await Rft([.. pairsArgs, "--out", pairsB]));
            Assert.Equal(File.ReadAllBytes(Path.Combine(pairsA, "part-00000.parquet")), File.ReadAllBytes(Path.Combine(pairsB, "part-00000.parquet")));
            Assert.Equal(CliHost.BadInput, await Rft([.. pairsArgs, "--out", pairsA]));   // existing output without --overwrite
            Assert.Equal(CliHost.Ok, await Rft("train", "--objective", "spin", "--pairs", pairsA, "--reference", Path.Combine(run, "final/checkpoint"),
                "--beta", "0.2", "--out", spinOut, "--preset", "tiny", "--epochs", "1", "--threads", "1"));
            Assert.Contains("spin(beta=0.2)", File.ReadAllText(Path.Combine(spinOut, "run_log.jsonl")));
            Assert.True(File.Exists(Path.Combine(spinOut, "checkpoint/model.safetensors")));

            // Kill inside stage 2's training after step 3 (epoch 1 of 2 saved: the stage resumes from it), run again:
            // same SPIN weights and predictions as the uninterrupted run.
            var dir = Path.Combine(root, "killed");
            using var kill = new CancellationTokenSource();
            var first = new CycleRunner(dir, Config)
            {
                OnTrainProgress = (trainDir, p) => { if (trainDir == "spin/s2/train" && p.Step >= 3) kill.Cancel(); },
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(kill.Token));
            Assert.Equal("done", RunManifest.TryLoad(dir)!.Stage("spin1-train").Status);
            Assert.NotEqual("done", RunManifest.TryLoad(dir)!.Stage("spin2-train").Status);
            Assert.True(File.Exists(Path.Combine(dir, "spin/s2/train/checkpoint/trainer_state.json")));   // a mid-stage state to resume from
            var resumed = await new CycleRunner(dir, Config).RunAsync(CancellationToken.None);
            Assert.All(resumed.Manifest.Stages, s => Assert.Equal("done", s.Status));
            Assert.Equal(1, resumed.Manifest.Stage("spin1-train").Attempts);   // finished stages are not redone
            Assert.Contains("\"event\":\"resume\"", File.ReadAllText(Path.Combine(dir, "spin/s2/train/run_log.jsonl")));
            CycleResumeTests.AssertSameWeights(Path.Combine(run, "spin/s2/train/checkpoint/model.safetensors"), Path.Combine(dir, "spin/s2/train/checkpoint/model.safetensors"));
            Assert.Equal(await CycleResumeTests.Predictions(run, "spin"), await CycleResumeTests.Predictions(dir, "spin"));
        }
        finally { try { Directory.Delete(root, recursive: true); } catch (IOException) { } }
    }

    [Fact]
    public async Task A_bad_spin_config_fails_before_any_stage_runs()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-spin-bad-" + Guid.NewGuid().ToString("N"));
        var started = new List<string>();
        foreach (var bad in new[] { Config with { SpinBeta = 0 }, Config with { SpinK = 0 }, Config with { SpinRejected = "best" }, Config with { SpinStages = -1 } })
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => new CycleRunner(dir, bad) { OnStageStarting = started.Add }.RunAsync(CancellationToken.None));
            Assert.Contains("spin", e.Message);
        }
        Assert.Empty(started);
        Assert.False(Directory.Exists(dir));
    }

    static Task<int> Rft(params string[] args)
    {
        var root = new System.CommandLine.RootCommand("rft");
        foreach (var v in OnnxRftPipeline.Cli.Verbs.VerbCatalog.All()) root.Add(v);
        return CliHost.RunAsync(root, args);
    }

    static JsonElement Start(string run, int stage)
    {
        var line = File.ReadLines(Path.Combine(run, $"spin/s{stage}/train/run_log.jsonl")).First(l => l.Contains("\"event\":\"start\""));
        return JsonDocument.Parse(line).RootElement;
    }
}
