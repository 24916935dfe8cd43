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
        // pass@k's samples: temperature, length and seed (greedy pass@1 uses the same length); the engine's other settings keep their defaults.
        var sampling = new SamplingFlags(f => [f.Temperature, f.MaxNewTokens, f.Seed]);
        var threads = Opt.With("--threads", 0, "ONNX Runtime intra-op threads (0 = all cores).");
        var engine = new EngineFlags();
        var overwrite = Opt.Flag("--overwrite", "Replace an existing output folder.");
        var cmd = new Command("eval", "Evaluate a model: greedy pass@1 and pass@k, to JSON and Parquet.")
            .With([model, data, verifier, outDir, k, .. sampling.Options, threads, .. engine.Options, overwrite]);
        cmd.SetAction(async (p, ct) =>
        {
            var o = new EvalOptions
            {
                Model = p.GetValue(model)!, Data = p.GetValue(data)!, Verifier = p.GetValue(verifier)!, OutDir = p.GetValue(outDir)!, K = p.GetValue(k),
                Sampling = sampling.Read(p), Threads = p.GetValue(threads), Engine = engine.ReadEngine(p), Device = engine.ReadDevice(p),
                Overwrite = p.GetValue(overwrite),
            };
            EvalStage.Render(await EvalStage.RunAsync(o, ct), o.OutDir);
            return CliHost.Ok;
        });
        return cmd;
    }
}
