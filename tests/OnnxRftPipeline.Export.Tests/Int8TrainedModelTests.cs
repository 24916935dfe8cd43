using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Training;
using Xunit.Abstractions;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// The tiny preset trained on every single-digit addition "a+b=" → "c" to convergence (40 epochs: 100/100 exact; at 30 epochs the
/// result hung on float rounding, 88/100 once the rotary tables took transformers' float32 angles), once for the class: a model
/// whose greedy answers mean something, unlike a random model's near-ties.
/// </summary>
public sealed class TrainedAdditionModel : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rft-int8-trained-").FullName;
    public string Checkpoint { get; }
    public List<TrainExample> Examples { get; } =
        (from a in Enumerable.Range(0, 10) from b in Enumerable.Range(0, 10)
         select new TrainExample($"add-{a}-{b}", $"{a}+{b}=", (a + b).ToString())).ToList();

    public TrainedAdditionModel()
    {
        Checkpoint = SftTrainer.Run(new TrainOptions
        {
            Examples = Examples, OutDir = Path.Combine(Root, "train"), Preset = "tiny", Epochs = 40, BatchSize = 10, Threads = 1, Seed = 1,
            RecordTrajectories = false, LearningRate = 3e-3, WarmupSteps = 20,
        }).CheckpointDir;
    }

    public void Dispose() { try { Directory.Delete(Root, recursive: true); } catch (IOException) { } }
}

public sealed class Int8TrainedModelTests(TrainedAdditionModel trained, ITestOutputHelper output) : IClassFixture<TrainedAdditionModel>
{
    /// <summary>
    /// Share of greedy tokens (eos included) that must match fp32's, counting each row up to its first difference. A trained
    /// model's top token usually leads by whole nats, far more than the int8 logit error (a few % of the logit std, see
    /// <see cref="Int8ExportTests"/>), so nearly every token agrees; 0.9 leaves room for a rare close call, and a broken
    /// graph agrees on almost none (chance is ~1 in 11 digits).
    /// </summary>
    const double MinTokenAgreement = 0.9;

    [Theory]
    [InlineData(GraphOps.Standard)]
    [InlineData(GraphOps.Contrib)]
    public void Greedy_tokens_of_the_int8_model_agree_with_fp32_on_a_trained_model(GraphOps ops)
    {
        var tok = new ByteTokenizer();
        List<int[]> Greedy(WeightQuantization q)
        {
            var dir = OnnxExporter.Export(trained.Checkpoint,
                Path.Combine(trained.Root, "models", "add", $"{OnnxExporter.GraphOpsName(ops)}-{WeightQuantizationNames.Name(q)}"),
                new ExportOptions { Ops = ops, Quantize = q, Force = true }).OutDir;
            var folder = ModelFolder.Load(dir);
            Assert.Equal(WeightQuantizationNames.Name(q), folder.Info.WeightQuantization);
            using var decoder = OnnxDecoder.Open(folder, threads: 1);
            var requests = trained.Examples.Select(e => new PromptRequest(e.Id, PromptFormat.EncodePrompt(tok, e.Prompt), 1)).ToList();
            var byId = new Generator(decoder, tok, new GeneratorOptions { ContextLength = folder.Config.Model.ContextLength })
                .Generate(requests, new SamplingSettings { Temperature = 0, MaxNewTokens = 4 })
                .ToDictionary(g => g.PromptId, g => g.FinishReason == "eos" ? [.. g.Tokens, tok.EosId] : g.Tokens);
            return trained.Examples.Select(e => byId[e.Id]).ToList();
        }
        var fp32 = Greedy(WeightQuantization.None);
        var int8 = Greedy(WeightQuantization.Int8);

        int agree = 0, total = 0, identical = 0;
        for (int i = 0; i < fp32.Count; i++)
        {
            int n = 0;
            while (n < fp32[i].Length && n < int8[i].Length && fp32[i][n] == int8[i][n]) n++;
            agree += n; total += fp32[i].Length;
            if (fp32[i].SequenceEqual(int8[i])) identical++;
        }
        int Correct(List<int[]> outs) => trained.Examples.Zip(outs).Count(p => tok.Decode(p.Second.Where(t => t != tok.EosId).ToArray()) == p.First.Response);
        int fp32Correct = Correct(fp32), int8Correct = Correct(int8);
        output.WriteLine($"{ops}: greedy tokens agree {agree}/{total} ({(double)agree / total:P1}), identical answers {identical}/100; " +
                         $"exact answers fp32 {fp32Correct}/100, int8 {int8Correct}/100");
        // The comparison is meaningful only if the model learned the task.
        Assert.True(fp32Correct >= 90, $"fp32 model answers only {fp32Correct}/100: training did not take");
        Assert.True(total >= 2 * fp32.Count, $"only {total} tokens compared");
        Assert.True(agree >= MinTokenAgreement * total, $"int8 greedy tokens agree with fp32 on {agree}/{total}, below {MinTokenAgreement:P0}");
        Assert.True(int8Correct >= fp32Correct - 5, $"int8 answers {int8Correct}/100 vs fp32 {fp32Correct}/100");
    }
}
