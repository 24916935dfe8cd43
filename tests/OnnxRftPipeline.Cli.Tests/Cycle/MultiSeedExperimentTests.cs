using System.Globalization;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

[Collection(CycleCollection.Name)]
public class MultiSeedExperimentTests
{
    static readonly CycleConfig Tiny = TinyCycle.Config;

    [Fact]
    public async Task Each_seed_runs_its_own_experiment_and_the_table_summarises_them()
    {
        var dir = Directory.CreateTempSubdirectory("rft-seeds-").FullName;
        try
        {
            var results = await new MultiSeedExperiment(dir, Tiny, [3, 5], includeTargetSft: false, includeSpin: false).RunAsync(CancellationToken.None);
            Assert.Equal([3, 5], results.Select(r => r.Seed));
            foreach (var seed in new[] { 3, 5 })
                Assert.True(File.Exists(Path.Combine(MultiSeedExperiment.SeedDir(dir, seed), ExperimentRunner.TableFile)), $"seed {seed}");
            // Different seeds draw different data: the sampled candidates differ.
            Assert.NotEqual(results[0].Rows.Single(r => r.Arm == "rft-all").SamplerTokens, results[1].Rows.Single(r => r.Arm == "rft-all").SamplerTokens);

            var md = File.ReadAllText(Path.Combine(dir, MultiSeedExperiment.TableFile));
            Assert.Contains("| arm | seed 3 | seed 5 | mean ± sd | beats sft | fixed / broken vs sft, all seeds |", md);
            foreach (var arm in new[] { "rft-all", "rft-hard", "s2l" })
            {
                var line = md.Split('\n').Single(l => l.StartsWith($"| {arm} |", StringComparison.Ordinal));
                double a3 = results[0].Rows.Single(r => r.Arm == arm).GreedyPassAt1, a5 = results[1].Rows.Single(r => r.Arm == arm).GreedyPassAt1;
                string P(double x) => x.ToString("P1", CultureInfo.InvariantCulture);
                Assert.Contains($"| {P(a3)} | {P(a5)} | {P((a3 + a5) / 2)} ± ", line);
                // Pooled over seeds: the sums of each seed's prompt-by-prompt counts.
                var p3 = await CycleReport.PairedAsync(MultiSeedExperiment.SeedDir(dir, 3), "sft", arm, CancellationToken.None);
                var p5 = await CycleReport.PairedAsync(MultiSeedExperiment.SeedDir(dir, 5), "sft", arm, CancellationToken.None);
                Assert.Contains($"+{p3.Fixed + p5.Fixed} / −{p3.Broken + p5.Broken} (", line);
                int beats = new[] { 0, 1 }.Count(i => results[i].Rows.Single(r => r.Arm == arm).GreedyPassAt1 > results[i].Rows.Single(r => r.Arm == "sft").GreedyPassAt1);
                Assert.Contains($"| {beats} of 2 |", line);
            }
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    [Theory]
    [InlineData(new[] { 1 }, "at least two seeds")]
    [InlineData(new[] { 2, 2 }, "a seed twice")]
    public async Task Too_few_or_repeated_seeds_are_refused_before_anything_runs(int[] seeds, string expected)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-seeds-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new MultiSeedExperiment(dir, Tiny, seeds, false, false).RunAsync(CancellationToken.None));
        Assert.Contains(expected, e.Message);
        Assert.False(Directory.Exists(dir));
    }
}
