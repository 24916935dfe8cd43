using System.Diagnostics;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Engine.GenAi;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Tasks.Synth;
using OnnxRftPipeline.Trainer.Model;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench engines: the native engine (own ONNX Runtime loop: shared prefill, continuous batching) against onnxruntime-genai
/// (<see cref="GenAiGenerator"/>: K prefills per prompt, at most 32 rows per generator) on the same exported model, the same
/// prompt ids, the same threads and sampling settings, runs alternating, so the ratios are taken within one run. Two workloads:
/// (a) short prompts of a bundled task, (b) prompts sharing one long few-shot context plus a short question. Rows: each thread
/// count quiet, then the largest with a competing busy process on one core, with ORT's spinning on (its default) and off.
/// </summary>
static class EnginesBench
{
    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "ops", "threads", "k", "new-tokens", "short-prompts", "shared-prompts", "shared-len", "task");
        if (a.Help)
        {
            Console.WriteLine("bench engines [--preset small] [--ops standard] [--threads 1,2] [--k 8] [--new-tokens 64] [--short-prompts 200] [--shared-prompts 64] [--shared-len 512] [--task addition]");
            return 0;
        }
        string preset = a.String("preset", "small"), task = a.String("task", "addition");
        var ops = OnnxExporter.ParseGraphOps(a.String("ops", "standard"), "--ops");
        var threadCounts = a.String("threads", "1,2").Split(',').Select(t => int.TryParse(t, out var x) && x > 0 ? x : throw new ArgumentException($"--threads takes positive integers, got '{t}'")).ToArray();
        int k = a.Int("k", 8), newTokens = a.Int("new-tokens", 64), shortN = a.Int("short-prompts", 200), sharedN = a.Int("shared-prompts", 64), sharedLen = a.Int("shared-len", 512);

        var tok = new ByteTokenizer();
        var data = BundledTasks.Get(task).Generate(Math.Max(shortN, sharedN), 0, seed: 1, SynthOptions.Default).Train;
        var shortPrompts = data.Take(shortN).Select((e, i) => new PromptRequest($"a{i}", PromptFormat.EncodePrompt(tok, e.Prompt), k)).ToList();
        // (b): few-shot demonstrations of the task cut to exactly sharedLen tokens (bos included), then each question.
        var shots = string.Concat(Enumerable.Repeat(data, 1 + sharedLen / 16).SelectMany(d => d).Select(e => e.Prompt + e.Response + "\n\n"));
        var context = PromptFormat.EncodePrompt(tok, shots)[..sharedLen];
        var sharedPrompts = data.Take(sharedN).Select((e, i) => new PromptRequest($"b{i}", [.. context, .. tok.Encode(e.Prompt)], k)).ToList();

        var config = Presets.Get(preset);
        int longest = Math.Max(shortPrompts.Max(p => p.Tokens.Length), sharedPrompts.Max(p => p.Tokens.Length));
        // A random-weight model only needs its rotary table long enough for the workload; the cost per token is unchanged.
        config.MaxPositionEmbeddings = Math.Max(config.MaxPositionEmbeddings, longest + newTokens);
        var settings = new SamplingSettings { MaxNewTokens = newTokens, Seed = 1 };

        var root = Directory.CreateTempSubdirectory("rft-bench-engines-").FullName;
        try
        {
            var ckpt = RandomCheckpoint.Write(Path.Combine(root, "ckpt"), config, seed: 1);
            var dir = OnnxExporter.Export(ckpt, Path.Combine(root, "models", "bench", "v1"), new ExportOptions { Ops = ops }).OutDir;
            var folder = ModelFolder.Load(dir);
            Console.WriteLine($"bench engines: preset {preset} (random weights, {OnnxExporter.GraphOpsName(ops)} graph), K = {k}, {newTokens} new tokens max, " +
                $"temperature {settings.Temperature}, {Environment.ProcessorCount} cores; (a) {shortN} {task} prompts, (b) {sharedN} prompts = {sharedLen}-token shared context + question");
            Console.WriteLine("tokens/s = sampled tokens (eos included) / wall time; each cell one run, native then genai, alternating per workload");
            Console.WriteLine($"{"threads",-8} {"load",-10} {"spin",-5} {"workload",-10} {"native tok/s",13} {"genai tok/s",12} {"native/genai",13}");
            var rows = threadCounts.Select(t => (t, busy: false, spin: true)).ToList();
            int most = threadCounts.Max();
            rows.Add((most, true, true));
            rows.Add((most, true, false));
            var clock = Stopwatch.StartNew();
            foreach (var (threads, busy, spin) in rows)
            {
                using var competitor = busy ? BusyLoop.Start() : null;
                foreach (var (name, prompts) in new[] { ("(a) short", shortPrompts), ("(b) shared", sharedPrompts) })
                {
                    double native = Measure(() => Native(folder, threads, spin), prompts, settings);
                    double genai = Measure(() => GenAi(folder, threads, spin), prompts, settings);
                    Console.WriteLine($"{threads,-8} {(busy ? "+1 busy" : "quiet"),-10} {(spin ? "on" : "off"),-5} {name,-10} {native,13:F0} {genai,12:F0} {native / genai,12:F2}x");
                }
            }
            Console.WriteLine($"total {clock.Elapsed.TotalMinutes:F1} min");
            return 0;
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    static (IGenerationEngine, IDisposable) Native(ModelFolder folder, int threads, bool spin)
    {
        var decoder = OnnxDecoder.Open(folder, threads, spin);
        return (new Generator(decoder, folder.Tokenizer, new GeneratorOptions { ContextLength = folder.Config.Model.ContextLength }), decoder);
    }

    static (IGenerationEngine, IDisposable) GenAi(ModelFolder folder, int threads, bool spin)
    {
        var g = new GenAiGenerator(folder, new GenAiOptions { Threads = threads, SpinWait = spin });
        return (g, g);
    }

    /// <summary>Sampled tokens per second over the whole workload; the engine is opened (and warmed on one prompt) outside the clock.</summary>
    static double Measure(Func<(IGenerationEngine Engine, IDisposable Owner)> open, List<PromptRequest> prompts, SamplingSettings s)
    {
        var (engine, owner) = open();
        using (owner)
        {
            engine.Generate([prompts[0] with { Candidates = 1 }], s with { MaxNewTokens = 4 }).ToList();
            var sw = Stopwatch.StartNew();
            long tokens = engine.Generate(prompts, s).Sum(g => (long)g.SampledTokens);
            return tokens / sw.Elapsed.TotalSeconds;
        }
    }

    /// <summary>A second process spinning on one core for as long as the row runs (`sh -c 'while :; do :; done'`).</summary>
    sealed class BusyLoop : IDisposable
    {
        readonly Process _p;
        BusyLoop(Process p) => _p = p;
        public static BusyLoop Start() => new(Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"])) ?? throw new InvalidOperationException("cannot start sh"));
        public void Dispose() { _p.Kill(); _p.WaitForExit(); _p.Dispose(); }
    }
}
