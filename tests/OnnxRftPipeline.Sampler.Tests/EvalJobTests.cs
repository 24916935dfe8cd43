using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Tests;

public class EvalJobTests(RandomModelFixture model) : IClassFixture<RandomModelFixture>
{
    [Fact]
    public async Task Accuracy_counts_the_examples_whose_greedy_output_verifies()
    {
        var tok = new ByteTokenizer();
        var prompts = new[] { "Q: 1\n", "Q: 22\n", "Q: 333\n", "Q: 4444\n" };
        // The reference answer of the first three is exactly the model's greedy output; the last one's is not.
        var greedy = model.Generator().Generate(
                prompts.Select((p, i) => new PromptRequest($"e{i}", PromptFormat.EncodePrompt(tok, p), 1)).ToList(),
                new SamplingSettings { Temperature = 0, MaxNewTokens = 6 })
            .ToDictionary(g => g.PromptId, g => tok.Decode(g.Tokens));
        var data = prompts.Select((p, i) => new SftExample
        {
            Id = $"e{i}", Prompt = p, Response = "x", Answer = i < 3 ? greedy[$"e{i}"] : "not what it says", Task = "t", Source = "s",
        }).ToList();
        var dataDir = Path.Combine(model.Root, "eval-data-" + Guid.NewGuid().ToString("N")[..6]);
        await PartFiles.WritePartAsync(dataDir, 0, data);
        var outDir = Path.Combine(model.Root, "eval-out-" + Guid.NewGuid().ToString("N")[..6]);

        var s = await EvalJob.RunAsync(new EvalOptions
        {
            Model = model.ModelDir, Data = dataDir, Verifier = "exact:on=whole,norm=none", OutDir = outDir, K = 3, MaxNewTokens = 6, Threads = 1,
        });
        Assert.Equal(4, s.Examples);
        Assert.Equal(0.75, s.GreedyAccuracy, 12);
        Assert.NotNull(s.PassAtK);
        var rows = await PartFiles.ReadAllAsync<EvalResultRow>(Path.Combine(outDir, "results"));
        Assert.Equal(8, rows.Count);
        Assert.Equal(["e0", "e1", "e2"], rows.Where(r => r.K == 1 && r.Correct).Select(r => r.ExampleId).Order());
        Assert.Equal(s.GreedyAccuracy, EvalSummary.Load(outDir).GreedyAccuracy);
        Assert.Equal(s.PassAtK, rows.Count(r => r.K == 3 && r.Correct) / 4.0);
    }
}
