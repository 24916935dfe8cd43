// bench import: a Hugging Face checkpoint of Qwen2.5-0.5B's shape (hidden 896, 24 layers, 14 heads, 2 KV heads, intermediate
// 4864, vocab 151,936, tied embeddings, q/k/v biases) with random weights, written as transformers writes it (config.json,
// bf16 shards + model.safetensors.index.json, a byte-level BPE tokenizer.json of 151,643 tokens + Qwen's 22 added tokens,
// tokenizer_config.json, generation_config.json), then measured through the product:
//   export  OnnxExporter.Export (fp32 ONNX, external data): seconds and the process's peak RSS against the fp32 weight bytes
//           (goal: peak <= 3x fp32 bytes);
//   decode  ModelFolder + OnnxDecoder + Generator at 1, 8 and 32 decode rows (1 prompt x K=1; b/8 prompts x K=8 sharing a
//           prefill), temperature 0.7 / top_p 0.95, ~32-token prompts: decode tokens/s and the share of decode time spent
//           outside ONNX Runtime's Run (sampling over 152k logits, cache bookkeeping; goal: under half), plus the sampler alone
//           per row on this model's logits;
//   train   Checkpoint.Load (TorchSharp) and optimizer steps (forward, cross-entropy, backward, clipping, AdamW) on one random
//           batch at sequence 256: first step and median of the rest, peak RSS.
// Each phase runs in a child process (this dll, hidden option --phase) so each peak RSS (VmHWM) is that phase's alone.
// Options: --layers (24; 2 for a quick check), --phases, --new-tokens, --threads, --work DIR, --keep; see --help.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Trainer.Checkpoints;
using OnnxRftPipeline.Trainer.Model;
using OnnxRftPipeline.Trainer.Training;
using TorchSharp;

namespace OnnxRftPipeline.Bench;

static class ImportBench
{
    const double GoalExportRss = 3.0, GoalOutsideOrt = 0.5;
    const string CheckpointFolder = "hf-checkpoint", ModelName = "qwen2.5-0.5b-random", ModelVersion = "v1";
    const string ResultPrefix = "@import-result ";
    /// <summary>Qwen2's vocabulary: 151,643 regular tokens, then its added tokens from id 151,643; the embedding has 151,936 rows.</summary>
    const int RegularTokens = 151_643, VocabRows = 151_936;
    static readonly string[] AddedTokens =
    [
        "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>",
        "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
        "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
    ];

    static readonly string[] Known =
        ["layers", "phases", "new-tokens", "threads", "work", "batches", "k", "prompt-len", "repeats", "shards", "train-batch", "train-seq-len", "train-steps", "phase"];

    public static int Run(string[] args)
    {
        // --keep is a flag; BenchArgs takes "--name value" pairs only.
        bool keep = args.Contains("--keep");
        var a = new BenchArgs(args.Where(x => x != "--keep").ToArray(), Known);
        if (a.Help)
        {
            Console.WriteLine("""
                bench import [--layers 24] [--phases export,decode,train] [--new-tokens 32] [--threads 2] [--work DIR] [--keep]
                             [--batches 1,8,32] [--k 8] [--prompt-len 32] [--repeats 1] [--shards 4]
                             [--train-batch 1] [--train-seq-len 256] [--train-steps 3]
                  A random-weights Hugging Face checkpoint of Qwen2.5-0.5B's shape (bf16 shards, byte-level BPE tokenizer) is
                  written to DIR/hf-checkpoint (reused when its config matches) and measured through export, the ONNX Runtime
                  sampler and one training step, each phase in its own child process (peak RSS per phase).
                  --layers     decoder layers (24 is Qwen2.5-0.5B; 2 for a quick check)
                  --work       working folder (default: a temp folder); without --keep the checkpoint and export are deleted at the end
                  --batches    decode rows per run; b >= k runs b/k prompts x k candidates sharing a prefill, b < k one prompt x b
                  --threads    ONNX Runtime intra-op threads and TorchSharp threads
                  quick check: --layers 2 --new-tokens 8 --train-steps 2
                """);
            return 0;
        }
        var phase = a.StringOrNull("phase");
        var work = Path.GetFullPath(a.StringOrNull("work") ?? Path.Combine(Path.GetTempPath(), $"rft-bench-import-{Guid.NewGuid():N}"));
        return phase switch
        {
            null => Parent(a, args.Where(x => x != "--keep").ToArray(), work, keep, ownWork: a.StringOrNull("work") is null),
            "export" => Child(() => ExportPhase(work)),
            "decode" => Child(() => DecodePhase(a, work)),
            "train" => Child(() => TrainPhase(a, work)),
            _ => throw new ArgumentException($"--phase takes export, decode or train, got '{phase}'"),
        };
    }

    static string CheckpointDir(string work) => Path.Combine(work, CheckpointFolder);
    static string ModelDir(string work) => Path.Combine(work, "models", ModelName, ModelVersion);

    // ---------------------------------------------------------------- parent: checkpoint, children, summary

    static int Parent(BenchArgs a, string[] args, string work, bool keep, bool ownWork)
    {
        int layers = a.Int("layers", 24), shards = a.Int("shards", 4), threads = a.Int("threads", 2);
        var phases = a.String("phases", "export,decode,train").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var p in phases)
            if (p is not ("export" or "decode" or "train")) throw new ArgumentException($"--phases takes export, decode and/or train, got '{p}'");
        Directory.CreateDirectory(work);
        var ckptDir = CheckpointDir(work);
        Console.WriteLine($"bench import: Qwen2.5-0.5B shape, {layers} layers, random weights; work folder {work}");
        Console.WriteLine($"  machine: {Environment.ProcessorCount} cores, {MemTotalBytes() / (double)(1L << 30):F1} GiB memory, swap {SwapTotalBytes() >> 20} MiB; threads {threads}");

        var summary = new List<(string What, string Value)>();
        var goals = new List<(bool Met, string Text)>();
        int failures = 0;
        var peaks = new List<(string Phase, long Peak, long MajorFaults)>();
        try
        {
            var config = HfConfig(layers);
            var configText = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            bool reuse = File.Exists(Path.Combine(ckptDir, "config.json")) && File.ReadAllText(Path.Combine(ckptDir, "config.json")) == configText
                         && File.Exists(Path.Combine(ckptDir, CheckpointWeights.IndexFile)) && File.Exists(Path.Combine(ckptDir, TokenizerFiles.TokenizerJson));
            var sw = Stopwatch.StartNew();
            if (reuse) Console.WriteLine($"checkpoint: reusing {ckptDir}");
            else
            {
                // A new checkpoint makes any earlier export in the folder stale.
                foreach (var d in new[] { ckptDir, Path.Combine(work, "models") })
                    if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
                Directory.CreateDirectory(ckptDir);
                Console.WriteLine("checkpoint: writing config, bf16 shards and tokenizer...");
                File.WriteAllText(Path.Combine(ckptDir, "config.json"), configText);
                File.WriteAllText(Path.Combine(ckptDir, SpecialIds.GenerationConfigFile), new JsonObject
                {
                    ["bos_token_id"] = RegularTokens, ["eos_token_id"] = RegularTokens, ["max_new_tokens"] = 2048, ["transformers_version"] = "4.43.1",
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                var tokSw = Stopwatch.StartNew();
                WriteTokenizer(ckptDir);
                Console.WriteLine($"  tokenizer: {RegularTokens:N0} + {AddedTokens.Length} added tokens in {tokSw.Elapsed.TotalSeconds:F1} s");
                WriteWeights(ckptDir, LlamaConfig.Load(Path.Combine(ckptDir, "config.json")), shards, seed: 1);
            }
            var weights = CheckpointWeights.Open(ckptDir);
            long bf16Bytes = weights.Names.Sum(n => weights.Entry(n).End - weights.Entry(n).Begin);
            long fp32Bytes = weights.Float32Bytes;
            long parameters = fp32Bytes / 4;
            Console.WriteLine($"  {parameters:N0} parameters in {weights.Files.Count} bf16 shards, {bf16Bytes / 1e9:F3} GB on disk ({fp32Bytes / 1e9:F3} GB as fp32); " +
                              $"{(reuse ? "checked" : "written")} in {sw.Elapsed.TotalSeconds:F1} s, this process's peak RSS {Gb(PeakRss())}");
            summary.Add(("parameters", $"{parameters:N0} ({layers} layers)"));
            summary.Add(("checkpoint (bf16, shards)", $"{bf16Bytes / 1e9:F3} GB in {weights.Files.Count} files" + (reuse ? " (reused)" : $", written in {sw.Elapsed.TotalSeconds:F1} s")));
            summary.Add(("fp32 weight bytes", $"{fp32Bytes / 1e9:F3} GB"));

            var passed = StripOption(StripOption(args, "--phases"), "--work");
            JsonObject? RunPhase(string phase)
            {
                Console.WriteLine();
                Console.WriteLine($"{phase}: child process...");
                var (result, code, wall) = RunChild(phase, passed, work);
                if (result is null)
                {
                    failures++;
                    Console.WriteLine($"  {phase} FAILED: child exited with code {code} after {wall:F1} s and no result (see its output above)");
                    summary.Add(($"{phase}", $"FAILED (exit code {code})"));
                    goals.Add((false, $"{phase}: completes without a crash (exit code {code})"));
                }
                else
                {
                    peaks.Add((phase, result["peak_rss"]!.GetValue<long>(), result["major_faults"]!.GetValue<long>()));
                    summary.Add(($"{phase}: load average", result["load_average"]!.GetValue<string>() + $" ({Environment.ProcessorCount} cores)"));
                }
                return result;
            }

            if (phases.Contains("export"))
            {
                var modelParent = Path.GetDirectoryName(ModelDir(work))!;
                if (Directory.Exists(modelParent)) Directory.Delete(modelParent, recursive: true);
                if (RunPhase("export") is { } r)
                {
                    double seconds = r["seconds"]!.GetValue<double>();
                    long peak = r["peak_rss"]!.GetValue<long>(), baseline = r["start_rss"]!.GetValue<long>();
                    double ratio = peak / (double)fp32Bytes;
                    summary.Add(("export time", $"{seconds:F1} s"));
                    summary.Add(("export peak RSS", $"{Gb(peak)} = {ratio:F2}x fp32 weight bytes (process start {Gb(baseline)})"));
                    summary.Add(("export output", $"{r["output_bytes"]!.GetValue<long>() / 1e9:F3} GB ({r["files"]!.GetValue<string>()})"));
                    goals.Add((ratio <= GoalExportRss, $"export peak RSS {Gb(peak)} = {ratio:F2}x fp32 weight bytes ({fp32Bytes / 1e9:F3} GB) <= {GoalExportRss}x"));
                }
            }
            if (phases.Contains("decode"))
            {
                if (!Directory.Exists(ModelDir(work)))
                {
                    failures++;
                    Console.WriteLine($"decode: skipped, no exported model at {ModelDir(work)} (add export to --phases)");
                }
                else if (RunPhase("decode") is { } r)
                {
                    summary.Add(("decode: session load", $"{r["load_seconds"]!.GetValue<double>():F1} s, RSS after load {Gb(r["loaded_rss"]!.GetValue<long>())}"));
                    foreach (var b in r["batches"]!.AsArray())
                    {
                        int rows = b!["rows"]!.GetValue<int>();
                        double share = b["outside_ort"]!.GetValue<double>();
                        summary.Add(($"decode rows {rows,2} ({b["layout"]!.GetValue<string>()})",
                            $"{b["tokens_per_second"]!.GetValue<double>(),7:F1} tokens/s, {b["step_ms"]!.GetValue<double>(),7:F1} ms/step (ORT {b["ort_ms"]!.GetValue<double>():F1}), " +
                            $"outside ORT {share,6:P1} ({b["outside_ms"]!.GetValue<double>():F1} ms/step), prefill {b["prefill_seconds"]!.GetValue<double>():F2} s"));
                        summary.Add(($"  same, greedy", $"{b["greedy_tokens_per_second"]!.GetValue<double>(),7:F1} tokens/s, {b["greedy_step_ms"]!.GetValue<double>(),7:F1} ms/step, " +
                            $"outside ORT {b["greedy_outside_ort"]!.GetValue<double>(),6:P1} ({b["greedy_outside_ms"]!.GetValue<double>():F1} ms/step)"));
                        goals.Add((share < GoalOutsideOrt, $"decode rows {rows}: share of decode step time outside ORT {share:P1} < {GoalOutsideOrt:P0} (sampling must not dominate)"));
                    }
                    var s = r["sampler"]!;
                    summary.Add(("sampler per row (T 0.7, top_p 0.95)",
                        $"{s["ms_per_row"]!.GetValue<double>():F2} ms on this model's logits (nucleus {s["nucleus"]!.GetValue<double>():N0} of {s["vocab"]!.GetValue<int>():N0} tokens); " +
                        $"{s["peaked_ms_per_row"]!.GetValue<double>():F2} ms on 4x-scaled logits (nucleus {s["peaked_nucleus"]!.GetValue<double>():N0}); greedy {s["greedy_ms_per_row"]!.GetValue<double>():F2} ms"));
                    summary.Add(("decode peak RSS", Gb(r["peak_rss"]!.GetValue<long>())));
                }
            }
            if (phases.Contains("train") && RunPhase("train") is { } t)
            {
                var steps = t["step_seconds"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
                var rest = steps.Skip(1).Order().ToList();
                double median = rest.Count == 0 ? double.NaN : rest.Count % 2 == 1 ? rest[rest.Count / 2] : (rest[rest.Count / 2 - 1] + rest[rest.Count / 2]) / 2;
                string restText = rest.Count > 0 ? $", median of the next {rest.Count}: {median:F1} s ({t["tokens"]!.GetValue<int>() / median:F1} tokens/s, " +
                                                   $"{t["flops_per_step"]!.GetValue<double>() / median / 1e9:F1} GFLOP/s)" : "";
                summary.Add(("train: checkpoint load", $"{t["load_seconds"]!.GetValue<double>():F1} s, RSS after load {Gb(t["loaded_rss"]!.GetValue<long>())}"));
                summary.Add(($"train step (batch {t["batch"]!.GetValue<int>()} x {t["seq_len"]!.GetValue<int>()})", $"first {steps[0]:F1} s{restText}"));
                var last = t["step_parts"]!.AsArray()[^1]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
                double peakFlops = t["matmul_peak"]!.GetValue<double>();
                summary.Add(("  last step split", $"forward+loss {last[0]:F1} s, backward {last[1]:F1} s, clip+AdamW {last[2]:F1} s; " +
                    $"fp32 matmul peak {peakFlops / 1e9:F1} GFLOP/s ({t["matmul_peak_size"]!.GetValue<int>()}^2), MFU of the median step " +
                    $"{t["flops_per_step"]!.GetValue<double>() / median / peakFlops:P1}"));
                summary.Add(("train losses", string.Join(", ", t["losses"]!.AsArray().Select(x => x!.GetValue<double>().ToString("F3")))));
                summary.Add(("train peak RSS", $"{Gb(t["peak_rss"]!.GetValue<long>())} (weights+grads+AdamW moments alone: {Gb(t["parameters"]!.GetValue<long>() * 16)}); " +
                    $"RSS after each step: {string.Join(", ", t["rss_after_steps"]!.AsArray().Select(x => Gb(x!.GetValue<long>())))}"));
            }
        }
        finally
        {
            if (!keep)
            {
                foreach (var d in new[] { CheckpointDir(work), Path.Combine(work, "models") })
                    try { if (Directory.Exists(d)) Directory.Delete(d, recursive: true); } catch (IOException) { }
                if (ownWork) try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }
            else Console.WriteLine($"kept: {work}");
        }

        Console.WriteLine();
        Console.WriteLine("summary");
        int width = summary.Max(s => s.What.Length);
        foreach (var (what, value) in summary) Console.WriteLine($"  {what.PadRight(width)}  {value}");
        if (peaks.Count > 0)
        {
            var top = peaks.MaxBy(p => p.Peak);
            long mem = MemTotalBytes();
            goals.Add((failures == 0 && top.Peak < mem, $"no crash, and the largest phase peak RSS ({top.Phase}: {Gb(top.Peak)}) fits in memory ({Gb(mem)}, swap {SwapTotalBytes() >> 20} MiB); " +
                       $"major page faults {string.Join(", ", peaks.Select(p => $"{p.Phase} {p.MajorFaults:N0}"))}"));
        }
        Console.WriteLine();
        Console.WriteLine("goals");
        foreach (var (met, text) in goals) Console.WriteLine($"  {(met ? "met   " : "MISSED")} {text}");
        return failures == 0 ? 0 : 1;
    }

    static string[] StripOption(string[] args, string name)
    {
        var list = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == name) { i++; continue; }
            list.Add(args[i]);
        }
        return list.ToArray();
    }

    /// <summary>Runs this benchmark again as a child (--phase), echoing its output; its last result line is parsed.</summary>
    static (JsonObject? Result, int ExitCode, double Seconds) RunChild(string phase, string[] args, string work)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path to start a child with");
        var psi = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true };
        // Run through `dotnet bench.dll` or the apphost, whichever started this process.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(typeof(ImportBench).Assembly.Location);
        string[] all = ["import", "--phase", phase, "--work", work, .. args];
        foreach (var x in all) psi.ArgumentList.Add(x);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the child process");
        JsonObject? result = null;
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal)) result = JsonNode.Parse(line[ResultPrefix.Length..])!.AsObject();
            else Console.WriteLine("  " + line);
        }
        p.WaitForExit();
        return (p.ExitCode == 0 ? result : null, p.ExitCode, sw.Elapsed.TotalSeconds);
    }

    /// <summary>A child's body: its result with the process's peak RSS and major faults added, printed as one line.</summary>
    static int Child(Func<JsonObject> body)
    {
        long start = CurrentRss();
        var load0 = LoadAverage();
        var r = body();
        r["load_average"] = $"{load0} at start, {LoadAverage()} at end";
        Console.WriteLine($"1-minute load average {load0} at start, {LoadAverage()} at end ({Environment.ProcessorCount} cores)");
        r["start_rss"] = start;
        r["peak_rss"] = PeakRss();
        r["major_faults"] = MajorFaults();
        Console.WriteLine($"peak RSS {Gb(PeakRss())} (at start {Gb(start)}), major page faults {MajorFaults():N0}");
        Console.WriteLine(ResultPrefix + r.ToJsonString());
        return 0;
    }

    // ---------------------------------------------------------------- the checkpoint

    /// <summary>Qwen2.5-0.5B's config.json (as transformers 4.43 saved it), with <paramref name="layers"/> layers.</summary>
    static JsonObject HfConfig(int layers) => new()
    {
        ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
        ["attention_dropout"] = 0.0,
        ["bos_token_id"] = RegularTokens,
        ["eos_token_id"] = RegularTokens,
        ["hidden_act"] = "silu",
        ["hidden_size"] = 896,
        ["initializer_range"] = 0.02,
        ["intermediate_size"] = 4864,
        ["max_position_embeddings"] = 32768,
        ["max_window_layers"] = layers,
        ["model_type"] = "qwen2",
        ["num_attention_heads"] = 14,
        ["num_hidden_layers"] = layers,
        ["num_key_value_heads"] = 2,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1000000.0,
        ["sliding_window"] = 32768,
        ["tie_word_embeddings"] = true,
        ["torch_dtype"] = "bfloat16",
        ["transformers_version"] = "4.43.1",
        ["use_cache"] = true,
        ["use_sliding_window"] = false,
        ["vocab_size"] = VocabRows,
    };

    /// <summary>
    /// bf16 shards as save_pretrained writes them (model-0000i-of-0000n.safetensors, tensors in model order, the index's
    /// weight_map and total_size). Each tensor is generated and written in chunks, so nothing near the checkpoint's size is
    /// held in memory. Weights uniform with standard deviation 1/sqrt(fan_in) (the tied embedding's fan-in is the hidden size,
    /// as the output head), biases uniform in ±1/sqrt(hidden), norms 1 ± 0.1.
    /// </summary>
    static void WriteWeights(string dir, LlamaConfig c, int shardsWanted, int seed)
    {
        var sw = Stopwatch.StartNew();
        var tensors = c.ExpectedTensors().ToList();
        static long Bytes(long[] shape) => shape.Aggregate(1L, (x, y) => x * y) * 2;
        long total = tensors.Sum(t => Bytes(t.Shape));
        // A shard closes when the next tensor would take it past ~1.15x an even share (the embedding alone may exceed it).
        long limit = (long)Math.Ceiling(total * 1.15 / shardsWanted);
        var shards = new List<List<(string Name, long[] Shape)>> { new() };
        long size = 0;
        foreach (var t in tensors)
        {
            if (shards[^1].Count > 0 && size + Bytes(t.Shape) > limit) { shards.Add([]); size = 0; }
            shards[^1].Add(t);
            size += Bytes(t.Shape);
        }
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteShard(Path.Combine(dir, file), shards[i], c, seed);
            foreach (var t in shards[i]) map[t.Name] = file;
            Console.WriteLine($"  {file}: {shards[i].Count} tensors, {shards[i].Sum(t => Bytes(t.Shape)) / 1e6:F0} MB ({sw.Elapsed.TotalSeconds:F1} s)");
        }
        var weightMap = new JsonObject();
        foreach (var (k, v) in map) weightMap[k] = v;
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(dir, CheckpointWeights.IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static void WriteShard(string path, List<(string Name, long[] Shape)> tensors, LlamaConfig c, int seed)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            long end = offset + shape.Aggregate(1L, (x, y) => x * y) * 2;
            header[name] = new JsonObject
            {
                ["dtype"] = "BF16", ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - headerBytes.Length % 8) % 8;
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(headerBytes.Length + pad));
        fs.Write(len);
        fs.Write(headerBytes);
        for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
        const int Chunk = 1 << 20;
        var buffer = new byte[Chunk * 2];
        foreach (var (name, shape) in tensors)
        {
            long n = shape.Aggregate(1L, (x, y) => x * y);
            bool norm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            bool bias = name.EndsWith(".bias", StringComparison.Ordinal);
            // Uniform in ±sqrt(3)·s has standard deviation s.
            double halfWidth = norm ? 0.1 : bias ? 1.0 / Math.Sqrt(c.HiddenSize) : Math.Sqrt(3.0 / shape[1]);
            double center = norm ? 1.0 : 0.0;
            var rng = new SplitMix64(NameSeed(name, seed));
            for (long done = 0; done < n; done += Chunk)
            {
                int m = (int)Math.Min(Chunk, n - done);
                for (int i = 0; i < m; i++)
                {
                    float v = (float)(center + halfWidth * (2 * rng.NextDouble() - 1));
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(2 * i), ToBf16(v));
                }
                fs.Write(buffer, 0, 2 * m);
            }
        }
    }

    /// <summary>bf16: the upper 16 bits of the fp32 pattern, rounded to nearest even (NaN stays a quiet NaN).</summary>
    static ushort ToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>A tensor's own random stream (FNV-1a of its name), so its values do not depend on how the shards are cut.</summary>
    static ulong NameSeed(string name, int seed)
    {
        ulong h = 14695981039346656037UL ^ (ulong)seed;
        foreach (var ch in name) { h ^= ch; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>
    /// A byte-level BPE tokenizer.json laid out like Qwen2's (NFC normalizer, Qwen's split regex then ByteLevel, ByteLevel
    /// decoder) with exactly 151,643 regular tokens: the 256 byte tokens (id = byte), every byte pair, then byte triples
    /// (a pair + a byte), common characters first; every merge joins two tokens of the vocabulary into a third. Then Qwen2's
    /// 22 added tokens at 151,643.., and tokenizer_config.json with eos and pad &lt;|endoftext|&gt; and no bos, as Qwen2's.
    /// </summary>
    static void WriteTokenizer(string dir)
    {
        var alphabet = TokenizerFiles.ByteLevelAlphabet();
        // Bytes by how common they are in text: space, lower case, upper case, digits, punctuation, the rest.
        var order = new List<int> { ' ' };
        order.AddRange(Enumerable.Range('a', 26));
        order.AddRange(Enumerable.Range('A', 26));
        order.AddRange(Enumerable.Range('0', 10));
        order.AddRange(".,'\"-:;!?()\n".Select(ch => (int)ch));
        order.AddRange(Enumerable.Range(0, 256).Where(b => !order.Contains(b)));
        var rank = new int[256];
        for (int i = 0; i < 256; i++) rank[order[i]] = i;
        var pairs = (from x in Enumerable.Range(0, 256) from y in Enumerable.Range(0, 256) select (x, y))
            .OrderBy(p => Math.Max(rank[p.x], rank[p.y])).ThenBy(p => rank[p.x]).ThenBy(p => rank[p.y]).ToList();

        var vocab = new List<string>(RegularTokens);
        var merges = new List<string>(RegularTokens - 256);
        for (int b = 0; b < 256; b++) vocab.Add(alphabet[b].ToString());
        foreach (var (x, y) in pairs)
        {
            vocab.Add($"{alphabet[x]}{alphabet[y]}");
            merges.Add($"{alphabet[x]} {alphabet[y]}");
        }
        for (int p = 0; p < pairs.Count && vocab.Count < RegularTokens; p++)
            for (int j = 0; j < 64 && vocab.Count < RegularTokens; j++)
            {
                var (x, y) = pairs[p];
                vocab.Add($"{alphabet[x]}{alphabet[y]}{alphabet[order[j]]}");
                merges.Add($"{alphabet[x]}{alphabet[y]} {alphabet[order[j]]}");
            }
        if (vocab.Count != RegularTokens || vocab.Distinct().Count() != RegularTokens) throw new InvalidOperationException("tokenizer vocabulary construction is wrong");

        var options = new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var fs = File.Create(Path.Combine(dir, TokenizerFiles.TokenizerJson)))
        using (var w = new Utf8JsonWriter(fs, options))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int i = 0; i < AddedTokens.Length; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", RegularTokens + i);
                w.WriteString("content", AddedTokens[i]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", !AddedTokens[i].Contains("tool_call"));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("normalizer");
            w.WriteString("type", "NFC");
            w.WriteEndObject();
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+");
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, null);
            w.WriteEndArray();
            w.WriteEndObject();
            WriteByteLevel(w, "post_processor");
            WriteByteLevel(w, "decoder");
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteString("continuing_subword_prefix", "");
            w.WriteString("end_of_word_suffix", "");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (int i = 0; i < vocab.Count; i++) w.WriteNumber(vocab[i], i);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var m in merges) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var config = new JsonObject
        {
            ["add_prefix_space"] = false, ["bos_token"] = null, ["clean_up_tokenization_spaces"] = false, ["eos_token"] = "<|endoftext|>",
            ["errors"] = "replace", ["model_max_length"] = 131072, ["pad_token"] = "<|endoftext|>", ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer", ["unk_token"] = null,
        };
        File.WriteAllText(Path.Combine(dir, TokenizerFiles.TokenizerConfigJson),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    static void WriteByteLevel(Utf8JsonWriter w, string? property)
    {
        if (property is null) w.WriteStartObject(); else w.WriteStartObject(property);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", false);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    // ---------------------------------------------------------------- phases (child processes)

    static JsonObject ExportPhase(string work)
    {
        var ckpt = CheckpointDir(work);
        long fp32 = CheckpointWeights.Open(ckpt).Float32Bytes;
        var sw = Stopwatch.StartNew();
        var result = OnnxExporter.Export(ckpt, ModelDir(work), new ExportOptions());
        double seconds = sw.Elapsed.TotalSeconds;
        long outBytes = result.Files.Sum(f => new FileInfo(Path.Combine(result.OutDir, f)).Length);
        var big = result.Files.Where(f => new FileInfo(Path.Combine(result.OutDir, f)).Length > 1 << 20)
            .Select(f => $"{f} {new FileInfo(Path.Combine(result.OutDir, f)).Length / 1e6:F0} MB");
        Console.WriteLine($"exported in {seconds:F1} s to {result.OutDir}: {string.Join(", ", big)}");
        Console.WriteLine($"fp32 weight bytes {fp32 / 1e9:F3} GB; peak RSS {Gb(PeakRss())} = {PeakRss() / (double)fp32:F2}x");
        return new JsonObject { ["seconds"] = seconds, ["fp32_bytes"] = fp32, ["output_bytes"] = outBytes, ["files"] = string.Join(", ", big) };
    }

    static readonly string[] Words =
    [
        "the", "model", "answer", "question", "number", "sum", "of", "and", "is", "what", "compute", "result", "value", "first", "second",
        "add", "then", "write", "final", "step", "check", "two", "three", "seven", "digits", "carry", "left", "right", "total", "please",
    ];

    static JsonObject DecodePhase(BenchArgs a, string work)
    {
        int threads = a.Int("threads", 2), newTokens = a.Int("new-tokens", 32), k = a.Int("k", 8), promptLen = a.Int("prompt-len", 32);
        int repeats = a.Int("repeats", 1);
        var batches = a.String("batches", "1,8,32").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.TryParse(x, out var v) && v > 0 ? v : throw new ArgumentException($"--batches takes positive integers, got '{x}'")).ToArray();
        foreach (var b in batches)
            if (b > k && b % k != 0) throw new ArgumentException($"--batches {b}: a batch above --k {k} must be a multiple of it");
        if (newTokens < 2) throw new ArgumentException("--new-tokens must be at least 2 (the prefill's token, then decode steps)");

        var sw = Stopwatch.StartNew();
        var model = ModelFolder.Open(ModelDir(work));
        using var decoder = OnnxDecoder.Open(model, threads);
        double load = sw.Elapsed.TotalSeconds;
        long loadedRss = CurrentRss();
        Console.WriteLine($"session loaded in {load:F1} s ({model.Info.GraphOps} graph, {decoder.Layers} layers, vocab {decoder.VocabSize:N0}, " +
                          $"{threads} intra-op threads); RSS {Gb(loadedRss)}");

        // ~promptLen-token prompts: text through the checkpoint's own tokenizer, cut to exactly promptLen ids.
        var rng = new Random(11);
        int[] Prompt()
        {
            var text = string.Join(' ', Enumerable.Range(0, 4 * promptLen).Select(_ => Words[rng.Next(Words.Length)]));
            var ids = model.Tokenizer.EncodeModelInput(text);
            if (ids.Length < promptLen) throw new InvalidOperationException($"the tokenizer made only {ids.Length} tokens of a {text.Length}-character text");
            return ids[..promptLen];
        }
        var tok = new NoEos(model.Tokenizer);
        var settings = new SamplingSettings { Temperature = 0.7, TopP = 0.95, MaxNewTokens = newTokens, Seed = 1 };
        var results = new JsonArray();
        foreach (var b in batches)
        {
            int prompts = b >= k ? b / k : 1, cands = b >= k ? k : b;
            var layout = $"{prompts} prompt{(prompts == 1 ? "" : "s")} x K {cands}";
            var requests = Enumerable.Range(0, prompts).Select(i => new PromptRequest($"p{i}", Prompt(), cands)).ToList();
            var gen = new Generator(decoder, tok, new GeneratorOptions { MaxBatchRows = b, ContextLength = model.Config.Model.ContextLength });
            gen.Generate(requests, settings with { MaxNewTokens = 2 }).ToList();
            // The median (by decode tokens/s) of --repeats timed runs: prefill apart, then the decode steps' wall time and ORT time.
            (double Prefill, double Decode, double DecodeOrt, long Tokens, int Steps) Timed(SamplingSettings s)
            {
                var runs = new List<(double Prefill, double Decode, double DecodeOrt, long Tokens, int Steps)>();
                for (int rep = 0; rep < repeats; rep++)
                {
                    var watch = Stopwatch.StartNew();
                    double first = -1;
                    TimeSpan ortFirst = default;
                    long tokens = 0;
                    int steps = 0;
                    gen.Generate(requests, s, onTokens: n =>
                    {
                        if (first < 0) { first = watch.Elapsed.TotalSeconds; ortFirst = decoder.RunTime; }
                        else { tokens += n; steps++; }
                    }).ToList();
                    double total = watch.Elapsed.TotalSeconds;
                    runs.Add((first, total - first, (decoder.RunTime - ortFirst).TotalSeconds, tokens, steps));
                }
                return runs.OrderBy(x => x.Tokens / x.Decode).ElementAt(runs.Count / 2);
            }
            var r = Timed(settings);
            double share = 1 - r.DecodeOrt / r.Decode, stepMs = r.Decode / r.Steps * 1e3;
            // The same decode greedy (argmax, no top-p): what the engine costs outside ORT without the nucleus.
            var gr = Timed(settings with { Temperature = 0 });
            double greedyShare = 1 - gr.DecodeOrt / gr.Decode, greedyStepMs = gr.Decode / gr.Steps * 1e3;
            Console.WriteLine($"rows {b,2} ({layout}): prefill {r.Prefill:F2} s, decode {r.Tokens} tokens in {r.Decode:F2} s = {r.Tokens / r.Decode:F1} tokens/s, " +
                              $"{stepMs:F1} ms/step (ORT {r.DecodeOrt / r.Steps * 1e3:F1}), outside ORT {share:P1}; greedy: {gr.Tokens / gr.Decode:F1} tokens/s, " +
                              $"{greedyStepMs:F1} ms/step (ORT {gr.DecodeOrt / gr.Steps * 1e3:F1}), outside ORT {greedyShare:P1}; RSS {Gb(CurrentRss())}");
            results.Add(new JsonObject
            {
                ["rows"] = b, ["layout"] = layout, ["prefill_seconds"] = r.Prefill, ["decode_seconds"] = r.Decode, ["tokens"] = r.Tokens,
                ["tokens_per_second"] = r.Tokens / r.Decode, ["step_ms"] = stepMs, ["ort_ms"] = r.DecodeOrt / r.Steps * 1e3,
                ["outside_ort"] = share, ["outside_ms"] = stepMs * share,
                ["greedy_tokens_per_second"] = gr.Tokens / gr.Decode, ["greedy_step_ms"] = greedyStepMs, ["greedy_outside_ort"] = greedyShare,
                ["greedy_outside_ms"] = greedyStepMs * greedyShare,
            });
        }

        // The sampler alone on this model's logits: a prefill's rows, timed per row as the Generator samples them.
        using var ids = Row(Prompt().Select(x => (long)x).ToArray());
        using var mask = Row(Enumerable.Repeat(1L, promptLen).ToArray());
        using var pos = Row(Enumerable.Range(0, promptLen).Select(x => (long)x).ToArray());
        float[][] rows;
        using (var outputs = decoder.RunWithoutPast(ids, mask, pos))
        {
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            int v = decoder.VocabSize;
            rows = new float[promptLen][];
            for (int i = 0; i < promptLen; i++) rows[i] = logits.Slice(i * v, v).ToArray();
        }
        var peaked = rows.Select(row => row.Select(x => 4 * x).ToArray()).ToArray();
        var (ms, nucleus) = TimeSampler(rows, settings);
        var (peakedMs, peakedNucleus) = TimeSampler(peaked, settings);
        var (greedyMs, _) = TimeSampler(rows, settings with { Temperature = 0 });
        Console.WriteLine($"sampler per row (T 0.7, top_p 0.95): {ms:F2} ms on this model's logits (nucleus {nucleus:N0} of {decoder.VocabSize:N0} tokens on average, " +
                          $"logit sd {Sd(rows):F2}); {peakedMs:F2} ms on the same logits x4 (nucleus {peakedNucleus:N0}); greedy {greedyMs:F2} ms");
        return new JsonObject
        {
            ["load_seconds"] = load, ["loaded_rss"] = loadedRss, ["batches"] = results,
            ["sampler"] = new JsonObject
            {
                ["ms_per_row"] = ms, ["nucleus"] = nucleus, ["peaked_ms_per_row"] = peakedMs, ["peaked_nucleus"] = peakedNucleus,
                ["greedy_ms_per_row"] = greedyMs, ["vocab"] = decoder.VocabSize,
            },
        };

        static Microsoft.ML.OnnxRuntime.OrtValue Row(long[] data) =>
            Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(data, [1, data.Length]);
    }

    /// <summary>Milliseconds per row of TokenSampler.Next (repeated for at least a second) and the mean top-p nucleus size.</summary>
    static (double MsPerRow, double Nucleus) TimeSampler(float[][] rows, SamplingSettings s)
    {
        var sampler = new TokenSampler(rows[0].Length);
        var rng = new SplitMix64(5);
        foreach (var row in rows) sampler.Next(row, s, ref rng);
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed.TotalSeconds < 1)
            foreach (var row in rows) { sampler.Next(row, s, ref rng); n++; }
        double ms = sw.Elapsed.TotalMilliseconds / n;
        double nucleus = 0;
        if (s.Temperature > 0)
            foreach (var row in rows)
            {
                float max = row.Max();
                var p = row.Select(x => Math.Exp((x - max) / s.Temperature)).OrderDescending().ToArray();
                double total = p.Sum(), cum = 0;
                int kept = 0;
                while (kept < p.Length && cum / total < s.TopP) cum += p[kept++];
                nucleus += kept;
            }
        return (ms, nucleus / rows.Length);
    }

    static double Sd(float[][] rows)
    {
        double sum = 0, sq = 0;
        long n = 0;
        foreach (var row in rows) foreach (var x in row) { sum += x; sq += (double)x * x; n++; }
        double mean = sum / n;
        return Math.Sqrt(sq / n - mean * mean);
    }

    static JsonObject TrainPhase(BenchArgs a, string work)
    {
        int threads = a.Int("threads", 2), batch = a.Int("train-batch", 1), seqLen = a.Int("train-seq-len", 256), steps = a.Int("train-steps", 3);
        torch.set_num_threads(threads);
        var sw = Stopwatch.StartNew();
        var (model, tok) = Checkpoint.Load(CheckpointDir(work));
        using var owner = model;
        double load = sw.Elapsed.TotalSeconds;
        long loadedRss = CurrentRss();
        long parameters = model.ParameterCount();
        var c = model.Config;
        long matmulParams = c.NumHiddenLayers * ((long)c.HiddenSize * c.NumAttentionHeads * c.HeadDim * 2 + (long)c.HiddenSize * c.NumKeyValueHeads * c.HeadDim * 2
                                                 + 3L * c.HiddenSize * c.IntermediateSize) + (long)c.VocabSize * c.HiddenSize;
        // 6 x matmul params per token, plus attention's QK and PV (causal: half the square), forward and backward.
        double flops = 6.0 * matmulParams * batch * seqLen + 6.0 * c.NumHiddenLayers * c.NumAttentionHeads * c.HeadDim * (double)seqLen * seqLen * batch;
        Console.WriteLine($"checkpoint loaded in {load:F1} s: {parameters:N0} parameters, RSS {Gb(loadedRss)}; {threads} TorchSharp threads");

        var (peak, peakSize) = MatmulPeak.Measure([1024, 2048], secondsPerSize: 1.0);
        var hp = Presets.DefaultHyperparameters("small");
        using var optimizer = SftTrainer.MakeOptimizer(model, hp.WeightDecay);
        foreach (var g in optimizer.ParamGroups) g.LearningRate = 1e-5;
        var parametersList = model.parameters().ToArray();
        model.train();
        var rng = new Random(5);
        var times = new JsonArray();
        var losses = new JsonArray();
        var parts = new JsonArray();
        var rss = new JsonArray();
        for (int step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var seq = new long[batch * (seqLen + 1)];
            for (int i = 0; i < seq.Length; i++) seq[i] = rng.Next(0, Math.Min(tok.VocabSize, RegularTokens));
            var inputs = new long[batch * seqLen];
            var targets = new long[batch * seqLen];
            for (int r = 0; r < batch; r++)
            {
                Array.Copy(seq, r * (seqLen + 1), inputs, r * seqLen, seqLen);
                Array.Copy(seq, r * (seqLen + 1) + 1, targets, r * seqLen, seqLen);
            }
            var watch = Stopwatch.StartNew();
            // As TrainingLoop's step: zero_grad, forward, the batch loss (all positions are targets), backward, clipping, AdamW.
            optimizer.zero_grad();
            var shape = new long[] { batch, seqLen };
            var logits = model.forward(torch.tensor(inputs, shape));
            var loss = Objectives.BatchLoss(logits, torch.tensor(targets, shape), torch.ones(batch, seqLen), torch.ones(batch), ObjectiveOptions.Ce);
            double l = loss.item<float>();
            double forward = watch.Elapsed.TotalSeconds;
            loss.backward();
            double backward = watch.Elapsed.TotalSeconds - forward;
            torch.nn.utils.clip_grad_norm_(parametersList, hp.GradClip);
            optimizer.step();
            double seconds = watch.Elapsed.TotalSeconds;
            times.Add(seconds);
            losses.Add(l);
            parts.Add(new JsonArray(forward, backward, seconds - forward - backward));
            rss.Add(CurrentRss());
            Console.WriteLine($"step {step + 1}: {seconds:F1} s (forward+loss {forward:F1}, backward {backward:F1}, clip+AdamW {seconds - forward - backward:F1}), " +
                              $"loss {l:F3}, RSS {Gb(CurrentRss())}, peak {Gb(PeakRss())}");
        }
        return new JsonObject
        {
            ["load_seconds"] = load, ["loaded_rss"] = loadedRss, ["parameters"] = parameters, ["batch"] = batch, ["seq_len"] = seqLen,
            ["tokens"] = batch * seqLen, ["flops_per_step"] = flops, ["step_seconds"] = times, ["losses"] = losses, ["step_parts"] = parts, ["rss_after_steps"] = rss,
            ["matmul_peak"] = peak, ["matmul_peak_size"] = peakSize,
        };
    }

    // ---------------------------------------------------------------- memory (Linux /proc)

    static long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024;
        return -1;
    }

    static long PeakRss() => StatusBytes("VmHWM");
    /// <summary>The 1-minute load average: on a machine shared with other work, how contended the cores were.</summary>
    static string LoadAverage() { try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; } catch (IOException) { return "?"; } }
    static long CurrentRss() => StatusBytes("VmRSS");

    /// <summary>Major page faults of this process (field 12 of /proc/self/stat): pages read from disk, swap included.</summary>
    static long MajorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[9]);
    }

    static long MemInfoBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024;
        return -1;
    }

    static long MemTotalBytes() => MemInfoBytes("MemTotal");
    static long SwapTotalBytes() => MemInfoBytes("SwapTotal");

    static string Gb(long bytes) => $"{bytes / 1e9:F2} GB";
}
