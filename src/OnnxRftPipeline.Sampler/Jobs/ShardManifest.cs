using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Sampler.Jobs;

/// <summary>
/// `_sampling-sIIIofNNN.json` beside a shard's part files: the settings the parts were made with and the job's
/// creation time. A resumed job must have the same settings (else its parts would mix two jobs), and reuses the
/// creation time so resumed output is identical to an uninterrupted run's.
/// </summary>
sealed class ShardManifest
{
    [JsonPropertyName("settings")] public string Settings { get; set; } = "";
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
    [JsonPropertyName("complete")] public bool Complete { get; set; }

    [JsonIgnore] string _path = "";

    /// <param name="service">where candidates are drawn when not locally (a generator service URL), else null.</param>
    public static ShardManifest OpenOrCreate(SampleJobOptions o, string modelName, string modelVersion, string? service, int prompts)
    {
        var fields = JsonSerializer.SerializeToNode(new
        {
            model = modelName, model_version = modelVersion, prompts_file = Path.GetFullPath(o.Prompts),
            prompts, only_hard = o.OnlyHard, k = o.K, sampling = o.Sampling, verifier = o.Verifier,
            shard = $"{o.ShardIndex}/{o.ShardCount}", prompts_per_part = o.PromptsPerPart,
        })!.AsObject();
        // Only when set, so a local job's manifest reads exactly as it did before jobs could sample through a service.
        if (service is not null) fields["service"] = service;
        // Likewise the engine and device when not native/cpu: they change what is drawn, and genai's candidates also depend on
        // how its generators group rows, so for genai --max-batch-rows is part of the settings a resume must keep.
        if (o.Engine != EngineKind.Native) { fields["engine"] = EngineKinds.Name(o.Engine); fields["max_batch_rows"] = o.MaxBatchRows; }
        if (o.Device != ComputeDevice.Cpu) fields["device"] = ComputeDevices.Name(o.Device);
        var settings = fields.ToJsonString();
        Directory.CreateDirectory(o.OutDir);
        var path = Path.Combine(o.OutDir, $"_sampling-s{o.ShardIndex:D3}of{o.ShardCount:D3}.json");
        var ours = Directory.GetFiles(o.OutDir, $"part-s{o.ShardIndex:D3}of{o.ShardCount:D3}-*.parquet");
        // Temp parts of this shard can only be a killed writer's (the caller holds the shard's lock): they would never be renamed.
        foreach (var orphan in Directory.GetFiles(o.OutDir, $".part-s{o.ShardIndex:D3}of{o.ShardCount:D3}-*{Contracts.Data.PartFiles.TempSuffix}"))
            File.Delete(orphan);
        if (o.Overwrite)
        {
            // --overwrite: this shard's earlier parts and manifest go; other shards' files in a shared folder stay.
            foreach (var f in ours) File.Delete(f);
            ours = [];
            File.Delete(path);
        }
        // A manifest with none of its parts written (a job that failed or was killed before its first part) holds nothing
        // a rerun could mix with: it is replaced, whatever the new settings and with or without --resume.
        if (File.Exists(path) && ours.Length > 0)
        {
            var existing = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path))
                           ?? throw new InvalidDataException($"{path}: empty sampling manifest");
            if (!o.Resume)
                throw new IOException($"{o.OutDir}: shard {o.ShardIndex}/{o.ShardCount} already has output ({path}); pass --resume to continue it, --overwrite to replace it, or choose another --out");
            if (existing.Settings != settings)
                throw new InvalidDataException($"{path}: the existing parts were sampled with other settings ({Differences(existing.Settings, settings)}); " +
                    $"every setting recorded here shapes the written candidates, so resume with the same ones (--threads and --max-batch-rows may change), " +
                    $"replace this shard's output with --overwrite, or choose another --out");
            existing._path = path;
            return existing;
        }
        if (ours.Length > 0)
            throw new IOException($"{o.OutDir}: holds part files of shard {o.ShardIndex}/{o.ShardCount} but no {Path.GetFileName(path)}; pass --overwrite to replace them or choose another --out");
        var m = new ShardManifest { Settings = settings, CreatedAt = DateTimeOffset.UtcNow, _path = path };
        m.Save();
        return m;
    }

    /// <summary>The recorded settings' fields whose values differ ("k: 2 → 3; sampling.temperature: 0.7 → 0.5"), for the refusal message.</summary>
    static string Differences(string existing, string now)
    {
        var diff = new List<string>();
        void Walk(string prefix, JsonNode? a, JsonNode? b)
        {
            if (JsonNode.DeepEquals(a, b)) return;
            if (a is JsonObject x && b is JsonObject y)
                foreach (var n in x.Select(kv => kv.Key).Union(y.Select(kv => kv.Key)))
                    Walk(prefix + n + ".", x[n], y[n]);
            else diff.Add($"{prefix.TrimEnd('.')}: {a?.ToJsonString() ?? "none"} → {b?.ToJsonString() ?? "none"}");
        }
        Walk("", JsonNode.Parse(existing), JsonNode.Parse(now));
        return diff.Count == 0 ? "formatting only" : "differs in " + string.Join("; ", diff);
    }

    /// <summary>
    /// Disposed when the job ends: unless the job completed or some part of this shard exists, the manifest is deleted, so a job
    /// that failed after setup (a verifier that cannot score, a prompt too long for the model) leaves nothing a rerun trips over.
    /// </summary>
    public IDisposable RemoveUnlessUsed() => new Cleanup(this);

    sealed class Cleanup(ShardManifest m) : IDisposable
    {
        public void Dispose()
        {
            if (m.Complete) return;
            var dir = Path.GetDirectoryName(m._path)!;
            var shard = Path.GetFileNameWithoutExtension(m._path)["_sampling-".Length..];
            if (Directory.GetFiles(dir, $"part-{shard}-*.parquet").Length > 0) return;
            try { File.Delete(m._path); } catch (IOException) { }
        }
    }

    public void MarkComplete()
    {
        Complete = true;
        Save();
    }

    void Save()
    {
        var tmp = _path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this));
        File.Move(tmp, _path, overwrite: true);
    }
}
