using Parquet;
using Parquet.Serialization;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Reads and writes a dataset as a folder of Parquet part files (part-00000.parquet, …).
/// Each part is written to a temp name in the same folder and renamed into place, so a reader
/// never sees half a file and a crash never loses a finished part.
/// </summary>
public static class PartFiles
{
    public const string TempSuffix = ".tmp";

    public static string PartName(int index) => $"part-{index:D5}.parquet";

    /// <summary>
    /// A shard's part name: shards writing into one shared folder never collide, and name order groups them.
    /// </summary>
    public static string ShardPartName(int shard, int shardCount, int index) => $"part-s{shard:D3}of{shardCount:D3}-{index:D5}.parquet";

    /// <summary>Writes one part file atomically; lineage goes into the Parquet key-value metadata.</summary>
    public static Task<string> WritePartAsync<T>(string dir, int partIndex, IReadOnlyCollection<T> rows,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default) where T : class, new() =>
        WritePartAsync(dir, PartName(partIndex), rows, metadata, ct);

    /// <summary>Writes one part file with a given name (which must match part-*.parquet) atomically.</summary>
    public static async Task<string> WritePartAsync<T>(string dir, string partName, IReadOnlyCollection<T> rows,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken ct = default) where T : class, new()
    {
        if (!partName.StartsWith("part-", StringComparison.Ordinal) || !partName.EndsWith(".parquet", StringComparison.Ordinal))
            throw new ArgumentException($"part file name '{partName}' must match part-*.parquet");
        Directory.CreateDirectory(dir);
        var final = Path.Combine(dir, partName);
        var tmp = Path.Combine(dir, $".{partName}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                await ParquetSerializer.SerializeAsync(rows, fs, null, metadata, ct);
                await fs.FlushAsync(ct);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, final, overwrite: true);
            return final;
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// The part files of a dataset to read: a single file, or every part-*.parquet in a folder, in name order.
    /// A folder without finished parts is an error naming the folder, never an empty dataset: an empty
    /// output is written as one part with zero rows (<see cref="PartWriter{T}"/> does this).
    /// </summary>
    public static IReadOnlyList<string> ListParts(string dirOrFile)
    {
        if (File.Exists(dirOrFile)) return new[] { dirOrFile };
        if (!Directory.Exists(dirOrFile))
            throw new DataContractException($"{dirOrFile}: no such file or folder.");
        var parts = ExistingParts(dirOrFile);
        if (parts.Count > 0) return parts;
        var others = Directory.GetFiles(dirOrFile, "*.parquet").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var unfinished = Directory.GetFiles(dirOrFile, "*" + TempSuffix).Length;
        throw new DataContractException($"{dirOrFile}: no part files (part-NNNNN.parquet) in this folder" +
            (others.Length > 0 ? $"; it holds {string.Join(", ", others.Take(3))}{(others.Length > 3 ? ", …" : "")}: pass a file path to read one" : "") +
            (unfinished > 0 ? $"; {unfinished} unfinished temp part(s) from an interrupted writer" : "") + ".");
    }

    /// <summary>The finished part files already in a folder (possibly none), in name order; for writers and resume.</summary>
    public static IReadOnlyList<string> ExistingParts(string dir) => Directory.Exists(dir)
        ? Directory.GetFiles(dir, "part-*.parquet").Order(StringComparer.Ordinal).ToArray()
        : Array.Empty<string>();

    /// <summary>Reads every part of a dataset, checking each file's schema against T's contract first.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(string dirOrFile, CancellationToken ct = default) where T : class, new()
    {
        var rows = new List<T>();
        foreach (var part in ListParts(dirOrFile))
        {
            await SchemaCheck.ValidateAsync<T>(part, ct);
            await using var fs = File.OpenRead(part);
            var result = await ParquetSerializer.DeserializeAsync<T>(fs, null, null, ct);
            rows.AddRange(result.Data);
        }
        return rows;
    }

    /// <summary>The key-value metadata of one part file.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadMetadataAsync(string file, CancellationToken ct = default)
    {
        await using var fs = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(fs, cancellationToken: ct);
        return reader.CustomMetadata;
    }

    internal static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { }
    }
}

/// <summary>A data file does not match its contract; the message names the file and column.</summary>
public sealed class DataContractException(string message) : Exception(message);
