using System.Diagnostics;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Model;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// bench sample: the ONNX Runtime sampler on a preset with random weights (exported to a temp model folder),
/// in one run: greedy decode tokens/s at several batch sizes with KV cache, without cache, and for TorchSharp
/// generation of the same weights; effective FLOP/s against fp32 matmul FLOP/s; shared vs separate prefill of
/// K candidates of one long prompt. Prints measured numbers and the issue's goals met or missed.
/// </summary>
static class SampleBench
{
    const double GoalCacheSpeedup = 20, GoalOverTorch = 3, GoalMatmulShare = 0.5, GoalSharedPrefill = 0.6;
    const int GoalBatch = 64, GoalNewTokens = 128;

    /// <summary>A timed generation: the first forward (prefill) apart from the decode steps after it.</summary>
    readonly record struct Timing(double PrefillSeconds, double DecodeSeconds, long DecodeTokens)
    {
        public double TokensPerSecond => DecodeTokens / DecodeSeconds;
    }

    /// <summary>The run with the median decode rate of <paramref name="n"/> (cheap KV-cache runs are repeated to damp a shared machine's noise).</summary>
    static Timing MedianOf(int n, Func<Timing> run)
    {
        var runs = Enumerable.Range(0, n).Select(_ => run()).OrderBy(t => t.TokensPerSecond).ToList();
        return runs[runs.Count / 2];
    }

    static Timing Time(Action<Action<int>> run)
    {
        var sw = Stopwatch.StartNew();
        double first = -1;
        long tokens = 0;
        run(n => { if (first < 0) first = sw.Elapsed.TotalSeconds; else tokens += n; });
        return new Timing(first, sw.Elapsed.TotalSeconds - first, tokens);
    }

    /// <summary>One exported graph and its decoder: a graph flavour, with fp32 or int8 projection weights.</summary>
    sealed record Variant(string Name, OnnxDecoder Decoder);

    /// <summary>The --ops default: every graph flavour in fp32, and the contrib graph with int8 weights.</summary>
    const string DefaultOps = "standard,contrib,standard-inplace,contrib-int8";

    /// <summary>An --ops name: a graph flavour (standard, contrib, standard-inplace), "-int8" for int8 projection weights.</summary>
    static (GraphOps Ops, WeightQuantization Quantize) ParseVariant(string name)
    {
        bool int8 = name.EndsWith("-int8", StringComparison.Ordinal);
        // The one graph-ops parser (rft export --ops, cycle export_ops), so the names cannot drift apart.
        var ops = OnnxExporter.ParseGraphOps(int8 ? name[..^"-int8".Length] : name, "--ops (each optionally with -int8, e.g. contrib-int8)");
        return (ops, int8 ? WeightQuantization.Int8 : WeightQuantization.None);
    }

    static string VariantName(GraphOps ops, WeightQuantization q) =>
        OnnxExporter.GraphOpsName(ops) + (q == WeightQuantization.Int8 ? "-int8" : "");

    readonly record struct BatchResult(int Batch, string Ops, Timing Ort, Timing? OrtNoCache, Timing Torch, Timing? TorchNoCache);

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args, "preset", "ops", "batches", "nocache-batches", "torch-nocache-batches", "new-tokens", "prompt-len", "k",
            "shared-prompt-len", "repeats", "threads", "torch-threads", "ort-spin");
        if (a.Help)
        {
            Console.WriteLine("""
                bench sample [--preset small] [--ops standard,contrib,standard-inplace,contrib-int8] [--batches 1,8,64] [--nocache-batches 1,8,64]
                             [--torch-nocache-batches 1] [--new-tokens 128] [--prompt-len 16] [--k 8] [--shared-prompt-len 256]
                             [--repeats 3] [--threads <cores>] [--torch-threads <threads>] [--ort-spin on]
                  --ops              exported graphs to measure: standard (default export: plain ONNX ops, cache concatenated
                                     by the graph), contrib (--ops contrib export: GroupQueryAttention, in-place cache) and/or
                                     standard-inplace (--ops standardinplace export: plain ops at opset 24, TensorScatter in-place cache);
                                     NAME-int8 (e.g. contrib-int8) is that graph exported with --quantize int8 (int8 projection weights,
                                     DynamicQuantizeMatMul; approximate logits)
                  --ort-spin         on: ORT's intra-op threads busy-wait between kernels (ORT's and the engine's default);
                                     off: they block (faster when cores are shared with other work)
                  --nocache-batches  batch sizes the ORT engine also runs without KV cache (work grows with the square
                                     of the length: batch 64 at 128 tokens is the longest part of the run)
                  --torch-nocache-batches  the same for TorchSharp's full-forward generation (slower still; informational)
                  --repeats          KV-cache decode runs (ORT and TorchSharp) and prefill comparisons are repeated and the
                                     median is kept; no-cache runs once
                  quick check:       --batches 1,8 --nocache-batches 1 --torch-nocache-batches 1 --new-tokens 32
                                     --shared-prompt-len 64 --repeats 1
                """);
            return 0;
        }
        var preset = a.String("preset", "small");
        var opsNames = a.String("ops", DefaultOps).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ops = opsNames.Select(ParseVariant).Distinct().ToArray();
        bool spin = a.String("ort-spin", "on") switch
        {
            "on" => true, "off" => false,
            var x => throw new ArgumentException($"--ort-spin takes on or off, got '{x}'"),
        };
        var batches = IntList(a.String("batches", "1,8,64"), "batches");
        var noCacheBatches = IntList(a.String("nocache-batches", "1,8,64"), "nocache-batches");
        var torchNoCacheBatches = IntList(a.String("torch-nocache-batches", "1"), "torch-nocache-batches");
        int newTokens = a.Int("new-tokens", GoalNewTokens), promptLen = a.Int("prompt-len", 16), k = a.Int("k", 8);
        int sharedLen = a.Int("shared-prompt-len", 256), repeats = a.Int("repeats", 3), threads = a.Int("threads", Environment.ProcessorCount);
        int torchThreads = a.Int("torch-threads", threads);
        if (newTokens < 2) throw new ArgumentException("--new-tokens must be at least 2 (one prefill token, then decode steps)");

        var config = Presets.Get(preset);
        // The preset's context bounds what it was trained for; a random-weight benchmark model only needs its rotary
        // table long enough for the requested lengths, which does not change the cost per token.
        config.MaxPositionEmbeddings = Math.Max(config.MaxPositionEmbeddings, Math.Max(promptLen + newTokens, sharedLen + 1));
        int context = config.MaxPositionEmbeddings;
        long matmulParams = MatmulParams(config);

        var root = Directory.CreateTempSubdirectory("rft-bench-sample-").FullName;
        var variants = new List<Variant>();
        try
        {
            var ckpt = RandomCheckpoint.Write(Path.Combine(root, "ckpt"), config, seed: 1);
            foreach (var (o, q) in ops)
            {
                var name = VariantName(o, q);
                var dir = OnnxExporter.Export(ckpt, Path.Combine(root, "models", "bench", name), new ExportOptions { Ops = o, Quantize = q }).OutDir;
                variants.Add(new Variant(name, OnnxDecoder.Open(ModelFolder.Load(dir), threads, spin)));
            }
            TorchSharp.torch.set_num_threads(torchThreads);
            var (torchModel, _) = Checkpoint.Load(ckpt);
            using var torchModelOwner = torchModel;
            var tok = new NoEos(new ByteTokenizer());
            var greedy = new SamplingSettings { Temperature = 0, MaxNewTokens = newTokens };
            Generator Gen(Variant v, int rows, bool cache = true, bool shared = true) =>
                new(v.Decoder, tok, new GeneratorOptions { MaxBatchRows = Math.Max(rows, 1), UseCache = cache, SharedPrefill = shared, ContextLength = context });
            var torch = new TorchGreedy(torchModel);

            Console.WriteLine($"bench sample: preset {preset} (random weights, context {context}), {matmulParams:N0} matmul parameters, " +
                              $"{threads} threads, {Environment.ProcessorCount} cores");
            Console.WriteLine($"  greedy decode of {newTokens} new tokens per row after a {promptLen}-token prompt; decode tokens/s excludes the first forward (prefill);");
            Console.WriteLine($"  KV-cache runs: median of {repeats}; no-cache runs: one each");

            Console.WriteLine($"  ORT intra-op threads {threads} (spin-wait {(spin ? "on" : "off")}), TorchSharp threads {torchThreads}, cpu {CpuModel()}");
            // The matmul peak is measured at the start and again at the end and the best is kept: on a shared machine a
            // single early measurement can catch a busy moment and flatter every share computed from it.
            // An int8 graph's share is taken against the int8 kernel it runs (DynamicQuantizeMatMul), measured the same way.
            bool anyInt8 = ops.Any(o => o.Quantize == WeightQuantization.Int8);
            var peaks = new List<(double Flops, string What)>();
            var int8Peaks = new List<(double Flops, string What)>();
            void MeasurePeaks(string when)
            {
                Console.WriteLine($"matmul FLOP/s ({when})");
                var (tp, tn) = MatmulPeak.Measure([1024, 2048], secondsPerSize: 1.0);
                peaks.Add((tp, $"TorchSharp mm {tn}x{tn}, {when}"));
                foreach (var n in new[] { 1024, 2048 })
                {
                    double f = OrtMatmul.Measure(n, n, n, threads);
                    Console.WriteLine($"  ORT MatMul {n}x{n}: {f / 1e9,7:F1} GFLOP/s");
                    peaks.Add((f, $"ORT MatMul {n}x{n}, {when}"));
                    if (!anyInt8) continue;
                    double q = OrtMatmul.Measure(n, n, n, threads, int8: true);
                    Console.WriteLine($"  ORT DynamicQuantizeMatMul (int8 weights) {n}x{n}: {q / 1e9,7:F1} GFLOP/s");
                    int8Peaks.Add((q, $"ORT DynamicQuantizeMatMul {n}x{n}, {when}"));
                }
            }
            MeasurePeaks("start");
            double bandwidth = MemoryBandwidth.Measure(threads);
            long llc = LastLevelCacheBytes();
            Console.WriteLine($"  memory read bandwidth: {bandwidth / 1e9:F1} GB/s (512 MB buffer, {threads} threads); last-level cache {llc >> 20} MB");
            int bigBatch = batches.Max();
            double decodeShape = OrtMatmul.Measure(bigBatch, config.HiddenSize, config.IntermediateSize, threads);
            Console.WriteLine($"  ORT MatMul at the decode shape [{bigBatch},{config.HiddenSize}]x[{config.HiddenSize},{config.IntermediateSize}] (MLP up/gate at batch {bigBatch}): " +
                              $"{decodeShape / 1e9:F1} GFLOP/s");

            var rng = new Random(3);
            long[] RandomPrompt(int n) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(0, 256)).ToArray();
            var results = new List<BatchResult>();
            var agreement = new List<string>();
            foreach (var b in batches)
            {
                Console.WriteLine($"measuring batch {b}...");
                var prompts = Enumerable.Range(0, b).Select(_ => RandomPrompt(promptLen)).ToArray();
                var requests = prompts.Select((p, i) => new PromptRequest($"p{i}", p.Select(x => (int)x).ToArray(), 1)).ToList();
                // Warm-up at the same batch (ORT sizes its arena, TorchSharp its allocator) before each timed run.
                torch.Cached(prompts, 2, _ => { });
                long[][] torchOut = [];
                var tc = MedianOf(repeats, () => Time(on => torchOut = torch.Cached(prompts, newTokens, on)));
                Timing? torchNc = torchNoCacheBatches.Contains(b) ? Time(on => torch.Uncached(prompts, newTokens, on)) : null;
                foreach (var v in variants)
                {
                    Gen(v, b).Generate(requests, greedy with { MaxNewTokens = 2 }).ToList();
                    List<Generation> ortOut = [];
                    var ort = MedianOf(repeats, () => Time(on => ortOut = Gen(v, b).Generate(requests, greedy, onTokens: on).ToList()));
                    Timing? ortNc = noCacheBatches.Contains(b) ? Time(on => Gen(v, b, cache: false).Generate(requests, greedy, onTokens: on).ToList()) : null;
                    results.Add(new BatchResult(b, v.Name, ort, ortNc, tc, torchNc));
                    if (b == batches[0]) agreement.Add($"{v.Name} {Agreement(ortOut, torchOut)}");
                }
            }
            // K candidates of one long prompt, 2 new tokens: the prefill (one token sampled from it), the cache fan-out when
            // shared, and one decode step that costs the same either way.
            var longPrompt = new PromptRequest("long", RandomPrompt(sharedLen).Select(x => (int)x).ToArray(), k);
            var prefillOnly = greedy with { MaxNewTokens = 2 };
            Console.WriteLine();
            var prefillRatios = new List<(string Ops, double Ratio)>();
            foreach (var v in variants)
            {
                double TimePrefill(bool shared)
                {
                    var sw = Stopwatch.StartNew();
                    Gen(v, k, shared: shared).Generate([longPrompt], prefillOnly).ToList();
                    return sw.Elapsed.TotalSeconds;
                }
                TimePrefill(true); TimePrefill(false);
                var sharedTimes = new List<double>(); var separateTimes = new List<double>();
                for (int i = 0; i < repeats; i++) { sharedTimes.Add(TimePrefill(true)); separateTimes.Add(TimePrefill(false)); }
                double sharedT = Median(sharedTimes), separateT = Median(separateTimes);
                prefillRatios.Add((v.Name, sharedT / separateT));
                Console.WriteLine($"{v.Name}: K={k} candidates of one {sharedLen}-token prompt (median of {repeats}): shared prefill {sharedT * 1e3:F1} ms, " +
                                  $"separate prefills {separateT * 1e3:F1} ms, ratio {sharedT / separateT:F2} (prefill + fan-out + one decode step)");
            }

            // Kernel floors: the unskippable kernels alone (see KernelFloor), per weight format and batch.
            Console.WriteLine();
            Console.WriteLine("kernel floors (the step's projections, attention, norms and SwiGLU alone, at 9 cache lengths)...");
            var floors = new Dictionary<(WeightQuantization, int), double>();
            foreach (var q in ops.Select(o => o.Quantize).Distinct())
                foreach (var b in batches)
                {
                    var f = KernelFloor.DecodeSeconds(config, q, b, promptLen, newTokens, threads, spin);
                    floors[(q, b)] = (double)b * (newTokens - 1) / f.Seconds;
                    Console.WriteLine($"  {WeightQuantizationNames.Name(q)} weights, batch {b,2}: {f.Seconds / (newTokens - 1) * 1e3:F3} ms per step on average, " +
                                      $"{floors[(q, b)]:F0} tokens/s; GroupQueryAttention beat plain-op attention at {f.FusedFaster} of {f.Points} cache lengths");
                }
            double FloorRate(string variant, int batch) => floors[(ParseVariant(variant).Quantize, batch)];

            Console.WriteLine();
            MeasurePeaks("end");
            var best = peaks.MaxBy(p => p.Flops);
            double peak = best.Flops;
            Console.WriteLine($"  peak: {peak / 1e9:F1} GFLOP/s ({best.What}); the decode-shape MatMul above is {decodeShape / peak:P0} of it");
            var bestInt8 = anyInt8 ? int8Peaks.MaxBy(p => p.Flops) : (Flops: peak, What: "");
            if (anyInt8) Console.WriteLine($"  int8 peak: {bestInt8.Flops / 1e9:F1} GFLOP/s ({bestInt8.What})");
            double PeakOf(string variant) => ParseVariant(variant).Quantize == WeightQuantization.Int8 ? bestInt8.Flops : peak;

            Console.WriteLine();
            Console.WriteLine($"{"batch",5} {"graph",-16} {"ORT cache",10} {"no-cache",9} {"cache/no",9} {"Torch cache",12} {"Torch no-c.",12} {"ORT/Torch",10} {"FLOP/s",8} {"of peak",8} {"floor",8}");
            foreach (var r in results)
            {
                double flops = DecodeFlops(config, matmulParams, r.Batch, promptLen, newTokens) / r.Ort.DecodeSeconds;
                Console.WriteLine($"{r.Batch,5} {r.Ops,-16} {r.Ort.TokensPerSecond,10:F0} {Opt(r.OrtNoCache?.TokensPerSecond, "F0"),9} " +
                                  $"{Opt(r.Ort.TokensPerSecond / r.OrtNoCache?.TokensPerSecond, "F1", "x"),9} {r.Torch.TokensPerSecond,12:F0} " +
                                  $"{Opt(r.TorchNoCache?.TokensPerSecond, "F0"),12} {r.Ort.TokensPerSecond / r.Torch.TokensPerSecond,9:F2}x " +
                                  $"{flops / 1e9,7:F1}G {flops / PeakOf(r.Ops),8:P1} {FloorRate(r.Ops, r.Batch),8:F0}");
            }
            Console.WriteLine("  tokens/s = decode tokens per second (all rows); FLOP/s = the ORT cache run's useful work: 2 x matmul params");
            Console.WriteLine("  + 4 x layers x hidden x context (QK and PV) per token. ORT/Torch compares with TorchSharp's KV-cache loop;");
            Console.WriteLine("  TorchSharp no-cache is the Trainer model's full forward every step (ReferenceGenerator's method).");
            Console.WriteLine("  floor = tokens/s of ORT's unskippable kernels alone (KernelFloor): every projection, attention as the faster of");
            Console.WriteLine("  GroupQueryAttention and plain ops, the fused residual+RMSNorms and SwiGLU, at the same batch, cache lengths and weight");
            Console.WriteLine("  format; mask processing and the engine's loop left out. No graph of this model built from these kernels decodes faster.");
            if (anyInt8)
                Console.WriteLine("  *-int8 rows: the same weights exported with --quantize int8 (int8 matmuls); their FLOP share is against the int8 peak.");
            if (batches.Contains(GoalBatch))
            {
                var (ceiling, kvBytes, boundSteps) = Roofline(config, matmulParams, GoalBatch, promptLen, newTokens, peak, bandwidth, llc);
                Console.WriteLine($"  roofline at batch {GoalBatch}: the decode steps read {kvBytes / 1e9:F2} GB of fp32 KV cache; in {boundSteps} of {newTokens - 1} steps");
                Console.WriteLine($"  cache + weights outgrow the {llc >> 20} MB last-level cache. Even with matmuls at peak and reads at {bandwidth / 1e9:F1} GB/s fully");
                Console.WriteLine($"  overlapped, the FLOP share at batch {GoalBatch} is at most {ceiling:P0}.");
            }
            Console.WriteLine($"  check (batch {batches[0]}, tokens before each row's first difference): ORT and TorchSharp greedy tokens agree on {string.Join(", ", agreement)}" +
                              (anyInt8 ? " (int8 logits are approximate: a random model's near-ties make its rows diverge sooner)" : ""));

            Console.WriteLine();
            Console.WriteLine("goals");
            var note = newTokens == GoalNewTokens ? "" : $" (measured at {newTokens} new tokens; the goal is stated at {GoalNewTokens})";
            foreach (var v in variants)
            {
                foreach (var r in results.Where(r => r.Ops == v.Name && r.OrtNoCache is not null))
                {
                    double x = r.Ort.TokensPerSecond / r.OrtNoCache!.Value.TokensPerSecond;
                    double floorX = FloorRate(v.Name, r.Batch) / r.OrtNoCache!.Value.TokensPerSecond;
                    Goal($"{v.Name}: cache over no-cache at batch {r.Batch}: {x:F1}x >= {GoalCacheSpeedup}x{note} (kernel floor: at most {floorX:F1}x)", x >= GoalCacheSpeedup);
                }
                var atGoal = results.FirstOrDefault(r => r.Ops == v.Name && r.Batch == GoalBatch);
                if (atGoal.Batch == GoalBatch)
                {
                    double x = atGoal.Ort.TokensPerSecond / atGoal.Torch.TokensPerSecond;
                    Goal($"{v.Name}: ORT over TorchSharp (KV cache) at batch {GoalBatch}: {x:F2}x >= {GoalOverTorch}x", x >= GoalOverTorch);
                    double decodeFlops = DecodeFlops(config, matmulParams, GoalBatch, promptLen, newTokens);
                    double share = decodeFlops / atGoal.Ort.DecodeSeconds / PeakOf(v.Name);
                    double floorShare = decodeFlops / (GoalBatch * (newTokens - 1) / FloorRate(v.Name, GoalBatch)) / PeakOf(v.Name);
                    Goal($"{v.Name}: effective FLOP/s at batch {GoalBatch}: {share:P1} of matmul peak >= {GoalMatmulShare:P0} (kernel floor: at most {floorShare:P0})",
                        share >= GoalMatmulShare);
                }
                else Console.WriteLine($"  {v.Name}: batch {GoalBatch} not in --batches: ORT/TorchSharp and FLOP share goals not measured");
                var ratio = prefillRatios.Single(p => p.Ops == v.Name).Ratio;
                Goal($"{v.Name}: shared prefill {ratio:F2} of separate <= {GoalSharedPrefill}", ratio <= GoalSharedPrefill);
            }
            return 0;
        }
        finally
        {
            foreach (var v in variants) v.Decoder.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    static string Agreement(List<Generation> ort, long[][] torch)
    {
        int agree = 0, total = 0;
        foreach (var g in ort)
        {
            var t = torch[int.Parse(g.PromptId[1..])];
            int n = 0;
            while (n < g.Tokens.Length && n < t.Length && g.Tokens[n] == t[n]) n++;
            agree += n; total += t.Length;
        }
        return $"{agree}/{total}";
    }

    /// <summary>The CPU model (Linux), since kernels differ by vendor: e.g. TorchSharp's MKL matmul vs ORT's MLAS on AMD.</summary>
    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    static void Goal(string text, bool met) => Console.WriteLine($"  {(met ? "met   " : "MISSED")} {text}");

    /// <summary>Parameters that multiply activations: every projection and the output head (the embedding is a lookup).</summary>
    static long MatmulParams(LlamaConfig c)
    {
        long h = c.HiddenSize, d = c.HeadDim;
        long perLayer = h * c.NumAttentionHeads * d * 2 + h * c.NumKeyValueHeads * d * 2 + 3 * h * c.IntermediateSize;
        return c.NumHiddenLayers * perLayer + (long)c.VocabSize * h;
    }

    /// <summary>Useful FLOPs of the decode steps (every token after the first): projections plus attention over the cache.</summary>
    static double DecodeFlops(LlamaConfig c, long matmulParams, int batch, int promptLen, int newTokens)
    {
        double sum = 0;
        for (int i = 1; i < newTokens; i++) sum += StepFlops(c, matmulParams, batch, promptLen + i);
        return sum;
    }

    /// <summary>One decode step's useful FLOPs for a batch whose rows attend over <paramref name="context"/> positions.</summary>
    static double StepFlops(LlamaConfig c, long matmulParams, int batch, int context)
        => batch * (2.0 * matmulParams + 4.0 * c.NumHiddenLayers * c.NumAttentionHeads * c.HeadDim * context);

    /// <summary>
    /// An upper bound on the FLOP share of a batch's decode: per step the longer of its FLOPs at peak and its KV-cache
    /// reads at the measured bandwidth (counted only once cache and weights no longer fit the last-level cache).
    /// </summary>
    static (double Ceiling, double KvBytes, int BoundSteps) Roofline(LlamaConfig c, long matmulParams, int batch, int promptLen, int newTokens,
        double peak, double bandwidth, long llc)
    {
        double flops = 0, seconds = 0, kvTotal = 0;
        int bound = 0;
        for (int i = 1; i < newTokens; i++)
        {
            double f = StepFlops(c, matmulParams, batch, promptLen + i);
            double kv = 2.0 * c.NumHiddenLayers * batch * c.NumKeyValueHeads * c.HeadDim * (promptLen + i) * sizeof(float);
            kvTotal += kv;
            bool fromMemory = kv + matmulParams * sizeof(float) > llc;
            if (fromMemory) bound++;
            flops += f;
            seconds += Math.Max(f / peak, fromMemory ? kv / bandwidth : 0);
        }
        return (flops / seconds / peak, kvTotal, bound);
    }

    static long LastLevelCacheBytes()
    {
        // Linux sysfs; elsewhere assume the cache holds nothing, which only lowers the ceiling printed from it.
        try
        {
            var dir = "/sys/devices/system/cpu/cpu0/cache";
            var best = 0L;
            foreach (var index in Directory.EnumerateDirectories(dir, "index*"))
            {
                var text = File.ReadAllText(Path.Combine(index, "size")).Trim();
                long mult = text.EndsWith('K') ? 1024 : text.EndsWith('M') ? 1024 * 1024 : 1;
                if (long.TryParse(text.TrimEnd('K', 'M'), out var v)) best = Math.Max(best, v * mult);
            }
            return best;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    static double Median(List<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }

    static string Opt(double? v, string format, string suffix = "") => v is null ? "-" : v.Value.ToString(format) + suffix;

    static int[] IntList(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = parts.Select(p => int.TryParse(p, out var x) && x > 0 ? x : throw new ArgumentException($"--{name} must be positive integers separated by commas, got '{text}'")).ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"--{name} is empty");
    }
}
