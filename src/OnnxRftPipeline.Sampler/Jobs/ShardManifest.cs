using System.Text.Json;
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
        var settings = fields.ToJsonString();
        Directory.CreateDirectory(o.OutDir);
        var path = Path.Combine(o.OutDir, $"_sampling-s{o.ShardIndex:D3}of{o.ShardCount:D3}.json");
        var ours = Directory.GetFiles(o.OutDir, $"part-s{o.ShardIndex:D3}of{o.ShardCount:D3}-*.parquet");
        if (File.Exists(path))
        {
            var existing = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path))
                           ?? throw new InvalidDataException($"{path}: empty sampling manifest");
            if (!o.Resume)
                throw new IOException($"{o.OutDir}: shard {o.ShardIndex}/{o.ShardCount} already has output ({path}); pass --resume to continue it or choose another --out");
            if (existing.Settings != settings)
                throw new InvalidDataException($"{path}: the existing parts were sampled with other settings; resume with the same options or choose another --out.\n  existing: {existing.Settings}\n  now:      {settings}");
            existing._path = path;
            return existing;
        }
        if (ours.Length > 0)
            throw new IOException($"{o.OutDir}: holds part files of shard {o.ShardIndex}/{o.ShardCount} but no {Path.GetFileName(path)}; choose another --out");
        var m = new ShardManifest { Settings = settings, CreatedAt = DateTimeOffset.UtcNow, _path = path };
        m.Save();
        return m;
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
