using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>
/// manifest.json of a run folder: the config and, per stage, its status, input checksums, outputs and timings.
/// Rewritten atomically after every stage transition, so a killed run always leaves a readable manifest.
/// </summary>
public sealed class RunManifest
{
    public const string FileName = "manifest.json";

    [JsonPropertyName("run_id")] public string RunId { get; set; } = "";
    [JsonPropertyName("created_at")] public DateTime CreatedAt { get; set; }
    [JsonPropertyName("config")] public JsonElement Config { get; set; } = JsonDocument.Parse("{}").RootElement;
    [JsonPropertyName("stages")] public List<StageRecord> Stages { get; set; } = [];

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static RunManifest? TryLoad(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: unreadable run manifest ({e.Message}); move it away to start the run afresh"); }
    }

    /// <summary>Loads the run's manifest, or starts one; a run folder belongs to one config.</summary>
    public static RunManifest Open(string runDir, CycleConfig cfg)
    {
        var configJson = JsonSerializer.SerializeToElement(cfg, CycleConfig.Json);
        var existing = TryLoad(runDir);
        if (existing is not null)
        {
            // Record equality over the config's values: formatting of the stored JSON does not matter.
            if (existing.Config.Deserialize<CycleConfig>(CycleConfig.Json) != cfg)
                throw new InvalidDataException($"{Path.Combine(runDir, FileName)}: this run folder was started with another config; " +
                                               "run with the same config to resume, or choose a new --out");
            return existing;
        }
        var m = new RunManifest { RunId = Path.GetFileName(runDir), CreatedAt = DateTime.UtcNow, Config = configJson };
        m.Save(runDir);
        return m;
    }

    public void Save(string runDir)
    {
        Directory.CreateDirectory(runDir);
        var path = Path.Combine(runDir, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public StageRecord Stage(string name)
    {
        var s = Stages.FirstOrDefault(x => x.Name == name);
        if (s is null) { s = new StageRecord { Name = name }; Stages.Add(s); }
        return s;
    }
}

public sealed class StageRecord
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>pending | running | done | failed.</summary>
    [JsonPropertyName("status")] public string Status { get; set; } = "pending";
    [JsonPropertyName("attempts")] public int Attempts { get; set; }
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; set; }
    [JsonPropertyName("finished_at")] public DateTime? FinishedAt { get; set; }
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    /// <summary>Relative input path → checksum of its content when the stage ran.</summary>
    [JsonPropertyName("inputs")] public Dictionary<string, string> Inputs { get; set; } = [];
    [JsonPropertyName("outputs")] public List<string> Outputs { get; set; } = [];
    [JsonPropertyName("error")] public string? Error { get; set; }
    /// <summary>The stage's typed result (a training, sampling, build… summary) as it ran; read back when the stage is skipped.</summary>
    [JsonPropertyName("result")] public JsonElement? Result { get; set; }
}

/// <summary>Content checksums of stage inputs: a stage is re-run when what it read has changed.</summary>
public static class Checksums
{
    /// <summary>SHA-256 over every file under a path (names and bytes, in ordinal name order); "" when absent.</summary>
    public static string Of(string path)
    {
        if (File.Exists(path)) return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        if (!Directory.Exists(path)) return "";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in Directory.GetFiles(path, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(path, f);
            if (rel.StartsWith('.') || rel.Contains("/.")) continue;   // staging/temp files are not content
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(rel + "\0"));
            using var fs = File.OpenRead(f);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = fs.Read(buffer)) > 0) sha.AppendData(buffer.AsSpan(0, n));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
