using System.Globalization;
using System.Text.Json;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Where an output came from, stored in every Parquet part's key-value metadata (keys in
/// data-schemas/README.md). <see cref="CreatedAt"/> is optional so that a deterministic producer
/// (synthetic data, import) writes byte-identical files for the same inputs and seed.
/// </summary>
public sealed record Lineage
{
    public const string RunIdKey = "run_id", ProducerKey = "producer", ModelVersionKey = "model_version",
        SeedKey = "seed", SettingsKey = "settings", CreatedAtKey = "created_at";

    /// <summary>The keys every output carries; created_at is the only optional one.</summary>
    public static IReadOnlyList<string> RequiredKeys { get; } = [RunIdKey, ProducerKey, ModelVersionKey, SeedKey, SettingsKey];

    /// <summary>The run that produced the output (a run folder's id, or a content hash for standalone commands).</summary>
    public required string RunId { get; init; }
    /// <summary>The command or component that wrote it, e.g. "rft sample".</summary>
    public required string Producer { get; init; }
    /// <summary>The model version involved; empty when no model was (import, synthetic data).</summary>
    public string ModelVersion { get; init; } = "";
    /// <summary>The random seed; null when the producer uses no randomness.</summary>
    public long? Seed { get; init; }
    /// <summary>The producer's settings as a JSON object.</summary>
    public string Settings { get; init; } = "{}";
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Serializes settings (any object System.Text.Json can write) into <see cref="Settings"/>.</summary>
    public Lineage WithSettings<TSettings>(TSettings settings) =>
        this with { Settings = JsonSerializer.Serialize(settings, SettingsJson) };

    static readonly JsonSerializerOptions SettingsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The Parquet key-value metadata; keys in a fixed order so files are byte-stable.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        using (JsonDocument.Parse(Settings)) { } // a settings string that is not JSON is a producer bug: fail before writing
        var md = new Dictionary<string, string>
        {
            [RunIdKey] = RunId,
            [ProducerKey] = Producer,
            [ModelVersionKey] = ModelVersion,
            [SeedKey] = Seed?.ToString(CultureInfo.InvariantCulture) ?? "",
            [SettingsKey] = Settings,
        };
        if (CreatedAt is { } t) md[CreatedAtKey] = t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        return md;
    }

    /// <summary>Parses the metadata of a file; a missing required key or a malformed value names the file and key.</summary>
    public static Lineage FromMetadata(IReadOnlyDictionary<string, string> metadata, string file)
    {
        foreach (var key in RequiredKeys)
            if (!metadata.ContainsKey(key))
                throw new DataContractException($"{file}: key-value metadata has no '{key}' (lineage keys: {string.Join(", ", RequiredKeys)}).");
        long? seed = null;
        if (metadata[SeedKey] is { Length: > 0 } s)
            seed = long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
                : throw new DataContractException($"{file}: metadata '{SeedKey}' is '{s}', expected an integer or empty.");
        DateTimeOffset? created = null;
        if (metadata.TryGetValue(CreatedAtKey, out var c))
            created = DateTimeOffset.TryParse(c, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d
                : throw new DataContractException($"{file}: metadata '{CreatedAtKey}' is '{c}', expected an ISO 8601 UTC time.");
        try { using (JsonDocument.Parse(metadata[SettingsKey])) { } }
        catch (JsonException e) { throw new DataContractException($"{file}: metadata '{SettingsKey}' is not JSON ({e.Message})."); }
        return new Lineage
        {
            RunId = metadata[RunIdKey], Producer = metadata[ProducerKey], ModelVersion = metadata[ModelVersionKey],
            Seed = seed, Settings = metadata[SettingsKey], CreatedAt = created,
        };
    }

    /// <summary>The lineage of one part file.</summary>
    public static async Task<Lineage> ReadAsync(string file, CancellationToken ct = default) =>
        FromMetadata(await PartFiles.ReadMetadataAsync(file, ct), file);
}
