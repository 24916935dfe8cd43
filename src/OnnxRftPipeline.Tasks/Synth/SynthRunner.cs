using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>What <c>rft data synth</c> asks for.</summary>
public sealed record SynthRequest(string Task, int N, int EvalN, int Seed, SynthOptions Options, string OutDir,
    bool Overwrite = false, int RowsPerPart = 100_000);

/// <summary>What was written, for the CLI to print.</summary>
public sealed record SynthSummary(string Task, string TrainDir, string EvalDir, int TrainRows, int EvalRows,
    int NoisyRows, IReadOnlyDictionary<string, int> NoiseKinds, IReadOnlyDictionary<string, int> Difficulties,
    string DefaultVerifier);

/// <summary>
/// Generates a bundled task and writes <c>OUT/train/part-*.parquet</c> and <c>OUT/eval/part-*.parquet</c>.
/// Everything is generated before anything is written; both splits are written into a staging folder
/// inside OUT and moved into place, so a failure leaves no partial dataset. Files carry the lineage
/// key-value metadata (run id, producer, seed, settings) plus task, split, n, eval_n, options, default
/// verifier and generator, and no timestamp, so the same request gives byte-identical files.
/// </summary>
public static class SynthRunner
{
    public const string Generator = "OnnxRftPipeline.Tasks.Synth/1";
    public const string Producer = "rft data synth";

    public static async Task<SynthSummary> RunAsync(SynthRequest req, CancellationToken ct = default)
    {
        var task = BundledTasks.Get(req.Task);
        if (req.RowsPerPart <= 0) throw new SynthException($"rows per part must be positive, got {req.RowsPerPart}.");
        var trainDir = Path.Combine(req.OutDir, "train");
        var evalDir = Path.Combine(req.OutDir, "eval");
        foreach (var d in new[] { trainDir, evalDir })
            if (!req.Overwrite && Directory.Exists(d) && Directory.EnumerateFileSystemEntries(d).Any())
                throw new SynthException($"{d} already exists and is not empty; pass --overwrite to replace it.");

        var data = task.Generate(req.N, req.EvalN, req.Seed, req.Options);

        Directory.CreateDirectory(req.OutDir);
        var staging = Path.Combine(req.OutDir, $".synth-{Guid.NewGuid():N}.tmp");
        try
        {
            await WriteSplitAsync(Path.Combine(staging, "train"), "train", data.Train, task, req, ct);
            await WriteSplitAsync(Path.Combine(staging, "eval"), "eval", data.Eval, task, req, ct);
            foreach (var (split, final) in new[] { ("train", trainDir), ("eval", evalDir) })
            {
                if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
                Directory.Move(Path.Combine(staging, split), final);
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }

        var noisy = data.Train.Select(r => Meta(r, "noise_kind")).Where(k => k != "none").ToList();
        return new SynthSummary(task.Name, trainDir, evalDir, data.Train.Count, data.Eval.Count, noisy.Count,
            Count(noisy), Count(data.Train.Concat(data.Eval).Select(r => Meta(r, "difficulty"))), task.DefaultVerifier);
    }

    static async Task WriteSplitAsync(string dir, string split, IReadOnlyList<SftExample> rows, ISynthTask task,
        SynthRequest req, CancellationToken ct)
    {
        // The lineage every output carries (data-schemas/README.md), plus what describes this data set. The run id
        // is a hash of the request and there is no timestamp, so the same request still gives byte-identical files.
        var settings = new Dictionary<string, string>
        {
            ["task"] = task.Name,
            ["n"] = req.N.ToString(CultureInfo.InvariantCulture),
            ["eval_n"] = req.EvalN.ToString(CultureInfo.InvariantCulture),
            ["options"] = req.Options.ToJson(),
            ["default_verifier"] = task.DefaultVerifier,
            ["generator"] = Generator,
        };
        var lineage = new Lineage
        {
            RunId = "synth-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                string.Join("\n", settings.Select(kv => kv.Key + "=" + kv.Value)) + "\nseed=" + req.Seed)))[..16],
            Producer = Producer, Seed = req.Seed,
        }.WithSettings(settings);
        var meta = new Dictionary<string, string>(lineage.ToMetadata()) { ["split"] = split };
        foreach (var (k, v) in settings) meta[k] = v;
        Directory.CreateDirectory(dir);
        // An empty split still gets one (empty) part so readers see a valid dataset with the schema.
        int parts = Math.Max(1, (rows.Count + req.RowsPerPart - 1) / req.RowsPerPart);
        for (int p = 0; p < parts; p++)
        {
            var chunk = rows.Skip(p * req.RowsPerPart).Take(req.RowsPerPart).ToArray();
            await PartFiles.WritePartAsync(dir, p, chunk, meta, ct);
        }
    }

    static string Meta(SftExample row, string key)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(row.Metadata);
        return doc.RootElement.GetProperty(key).GetString() ?? "";
    }

    static IReadOnlyDictionary<string, int> Count(IEnumerable<string> keys) =>
        keys.GroupBy(k => k).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
}
