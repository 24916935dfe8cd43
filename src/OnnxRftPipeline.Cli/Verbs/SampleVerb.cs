using System.CommandLine;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Jobs;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft sample`: K verified candidates per (hard) prompt with the ONNX Runtime sampler.</summary>
public static class SampleVerb
{
    public static Command Create()
    {
        var model = Opt.Optional<string>("--model", "Model folder, or models/NAME for its newest version (or use --service).");
        var service = Opt.Optional<string>("--service", "Sample through a running `rft serve` at this URL instead of a local model.");
        var keyEnv = Opt.Optional<string>("--api-key-env", "With --service: environment variable holding the service's API key.");
        var concurrency = Opt.With("--concurrency", 8, "With --service: prompts in flight at once (the service batches them).");
        var prompts = Opt.Required<string>("--prompts", "SFT examples whose prompts are sampled.");
        var hardness = Opt.Optional<string>("--hardness", "Hardness dataset from `rft select`.");
        var onlyHard = Opt.Flag("--only-hard", "Sample only prompts the hardness marks hard.");
        var k = Opt.With("--k", 8, "Candidates per prompt.");
        var sampling = new SamplingFlags();
        var verifier = Opt.Required<string>("--verifier", "Verifier spec, e.g. numeric, exact, regex:pattern=..., cmd:path=...");
        var outDir = Opt.Required<string>("--out", "Output folder for candidates part files (shards may share it).");
        var shard = Opt.With("--shard", "0/1", "This process's shard i/n (prompts split by a hash of their id).");
        var resume = Opt.Flag("--resume", "Continue a killed or failed job: keep finished parts, generate the rest (same settings; --threads and --max-batch-rows may change).");
        var overwrite = Opt.Flag("--overwrite", "Replace this shard's earlier parts in --out (e.g. to resample with other settings).");
        var perPart = Opt.With("--prompts-per-part", 32, "Prompts per part file (the unit of resumption).");
        var batch = Opt.With("--max-batch-rows", 64, "Most candidate rows decoded together.");
        var threads = Opt.With("--threads", 0, "ONNX Runtime intra-op threads (0 = all cores).");
        var engine = new EngineFlags();
        var cmd = new Command("sample", "Draw K candidates per prompt (hard prompts only with --only-hard), verify and write them.")
            .With([model, service, keyEnv, concurrency, prompts, hardness, onlyHard, k, .. sampling.Options, verifier, outDir, shard, resume, overwrite, perPart, batch, threads, .. engine.Options]);
        cmd.SetAction(async (p, ct) =>
        {
            var (index, count) = SampleJobOptions.ParseShard(p.GetValue(shard)!);
            var url = p.GetValue(service);
            if ((url is null) == (p.GetValue(model) is null))
                throw new UserInputException("give exactly one of --model (sample locally) and --service URL (sample through `rft serve`)");
            var options = new SampleJobOptions
            {
                Model = p.GetValue(model) ?? url!, Prompts = p.GetValue(prompts)!, Hardness = p.GetValue(hardness), OnlyHard = p.GetValue(onlyHard),
                K = p.GetValue(k), Verifier = p.GetValue(verifier)!, OutDir = p.GetValue(outDir)!, ShardIndex = index, ShardCount = count,
                Resume = p.GetValue(resume), Overwrite = p.GetValue(overwrite), PromptsPerPart = p.GetValue(perPart), MaxBatchRows = p.GetValue(batch), Threads = p.GetValue(threads),
                Sampling = sampling.Read(p), Engine = engine.ReadEngine(p), Device = engine.ReadDevice(p),
            };
            if (url is not null && (options.Engine != EngineKind.Native || options.Device != ComputeDevice.Cpu))
                throw new UserInputException("--engine and --device choose how this process samples; with --service the service's own engine and device draw the candidates");
            var s = url is null ? await SampleStage.RunAsync(options, ct)
                : await SampleStage.RunRemoteAsync(options, url, ApiKey(p.GetValue(keyEnv)), p.GetValue(concurrency), ct);
            SampleStage.Render(s);
            return CliHost.Ok;
        });
        return cmd;
    }

    static string? ApiKey(string? variable)
    {
        if (variable is null) return null;
        var key = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(key) ? throw new UserInputException($"--api-key-env {variable}: the environment variable is not set or empty") : key;
    }
}
