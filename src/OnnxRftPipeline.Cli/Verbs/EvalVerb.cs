using System.CommandLine;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Sampler.Jobs;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft eval`: greedy pass@1 and sampled pass@k of a model on a data set.</summary>
public static class EvalVerb
{
    public static Command Create()
    {
        var model = Opt.Required<string>("--model", "Model folder, or models/NAME for its newest version.");
        var data = Opt.Required<string>("--data", "SFT examples with reference answers.");
        var verifier = Opt.Required<string>("--verifier", "Verifier spec.");
        var outDir = Opt.Required<string>("--out", "Output folder: eval.json and results/ (Parquet).");
        var k = Opt.With("--k", 1, "Also measure pass@k with k sampled candidates when > 1.");
        var temperature = Opt.With("--temperature", 0.7, "Temperature for the pass@k samples.");
        var maxNew = Opt.With("--max-new-tokens", 128, "Most tokens generated per answer.");
        var seed = Opt.With("--seed", 1234L, "Sampling seed.");
        var threads = Opt.With("--threads", 0, "ONNX Runtime intra-op threads (0 = all cores).");
        var overwrite = Opt.Flag("--overwrite", "Replace an existing output folder.");
        var cmd = new Command("eval", "Evaluate a model: greedy pass@1 and pass@k, to JSON and Parquet.")
            .With(model, data, verifier, outDir, k, temperature, maxNew, seed, threads, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var o = new EvalOptions
            {
                Model = p.GetValue(model)!, Data = p.GetValue(data)!, Verifier = p.GetValue(verifier)!, OutDir = p.GetValue(outDir)!, K = p.GetValue(k),
                Temperature = p.GetValue(temperature), MaxNewTokens = p.GetValue(maxNew), Seed = p.GetValue(seed), Threads = p.GetValue(threads),
                Overwrite = p.GetValue(overwrite),
            };
            EvalStage.Render(await EvalStage.RunAsync(o, ct), o.OutDir);
            return CliHost.Ok;
        });
        return cmd;
    }
}
