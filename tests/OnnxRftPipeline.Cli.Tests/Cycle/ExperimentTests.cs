using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

[Collection(CycleCollection.Name)]
public class ExperimentTests
{
    [Fact]
    public async Task Every_arm_runs_on_the_same_probe_and_the_table_reports_its_costs()
    {
        var dir = Directory.CreateTempSubdirectory("rft-exp-").FullName;
        try
        {
            var cfg = UninterruptedCycle.Config with { TrainEpochs = 1, SelectFraction = 0.25 };
            var rows = await new ExperimentRunner(dir, cfg, includeTargetSft: true, includeSpin: true).RunAsync(CancellationToken.None);
            Assert.Equal(["sft", "rft-all", "rft-hard", "s2l", "target-sft", "spin"], rows.Select(r => r.Arm));
            var by = rows.ToDictionary(r => r.Arm);
            Assert.Equal(0, by["sft"].CandidatesDrawn);
            Assert.Equal(0, by["target-sft"].CandidatesDrawn);
            Assert.Equal(60, by["rft-all"].PromptsSampled);
            Assert.Equal(15, by["rft-hard"].PromptsSampled);     // 25% of 60
            Assert.Equal(15, by["s2l"].PromptsSampled);          // same budget
            Assert.Equal(2 * 60, by["rft-all"].CandidatesDrawn); // K = 2
            // SPIN (spin_stages 0 → one stage): every prompt sampled spin_k times, one pair at most per prompt.
            Assert.Equal(60, by["spin"].PromptsSampled);
            Assert.Equal(cfg.SpinK * 60, by["spin"].CandidatesDrawn);
            Assert.InRange(by["spin"].TrainingRows, 1, 60);
            Assert.All(rows, r => Assert.InRange(r.GreedyPassAt1, 0, 1));
            // One probe serves every arm.
            var manifest = RunManifest.TryLoad(dir)!;
            Assert.Single(manifest.Stages, s => s.Name == "probe");
            var back = await PartFiles.ReadAllAsync<ExperimentArmRow>(Path.Combine(dir, ExperimentRunner.ParquetFolder));
            Assert.Equal(rows.Select(r => r.Arm), back.Select(r => r.Arm));
            var md = File.ReadAllText(Path.Combine(dir, ExperimentRunner.TableFile));
            Assert.Contains("| rft-hard |", md);
            Assert.Contains("| spin |", md);
            Assert.Contains("of RFT-all's candidates", md);
            // Every arm but the first is compared with it prompt by prompt: "+F / −B (p …)" with F + B ≤ the 12 eval prompts.
            Assert.Contains("fixed / broken vs sft", md);
            var rftHard = md.Split('\n').Single(l => l.StartsWith("| rft-hard |", StringComparison.Ordinal));
            var m = System.Text.RegularExpressions.Regex.Match(rftHard, @"\+(\d+) / −(\d+) \(p [<=] [0-9.]+\)");
            Assert.True(m.Success, rftHard);
            Assert.InRange(int.Parse(m.Groups[1].Value) + int.Parse(m.Groups[2].Value), 0, cfg.EvalN);
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
