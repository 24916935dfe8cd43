using Parquet;
using Parquet.Schema;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Import;

/// <summary>A column as the inspector reports it; Type uses the data-schemas vocabulary (string, int32, …).</summary>
public sealed record ColumnInfo(string Name, string Type, bool Nullable);

/// <summary>What <see cref="DatasetInspector"/> found; plain data for the CLI to render.</summary>
/// <param name="Artifact">The artifact whose contract the schema satisfies (e.g. "sft_examples"), or null.</param>
/// <param name="NearestArtifact">When no artifact matches: the one with the fewest differences.</param>
/// <param name="NearestMismatches">Those differences, one message per column.</param>
/// <param name="Metadata">Key-value metadata of the first part (lineage keys: see data-schemas/README.md).</param>
/// <param name="Head">The first rows, values in column order: string, int, long, double, bool, DateTime, … or null.</param>
public sealed record DatasetInfo(
    string Path,
    IReadOnlyList<string> Parts,
    string? Artifact,
    string? NearestArtifact,
    IReadOnlyList<string> NearestMismatches,
    IReadOnlyList<ColumnInfo> Columns,
    long RowCount,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<IReadOnlyList<object?>> Head);

/// <summary>Describes a Parquet dataset (folder of parts or one file) without assuming which artifact it is.</summary>
public static class DatasetInspector
{
    public static async Task<DatasetInfo> InspectAsync(string dirOrFile, int headRows = 5, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headRows);
        var parts = PartFiles.ListParts(dirOrFile);
        var schema = await SchemaCheck.ReadSchemaAsync(parts[0], ct);
        var fields = schema.GetDataFields();
        long rows = 0;
        IReadOnlyDictionary<string, string>? metadata = null;
        var head = new List<IReadOnlyList<object?>>();
        foreach (var part in parts)
        {
            await using var fs = File.OpenRead(part);
            ParquetReader reader;
            try { reader = await ParquetReader.CreateAsync(fs, cancellationToken: ct); }
            catch (Exception e) when (e is not OperationCanceledException)
            { throw new DataContractException($"{part}: not a readable Parquet file ({e.Message})."); }
            await using (reader)
            {
                if (!SameColumns(reader.Schema.GetDataFields(), fields))
                    throw new DataContractException($"{part}: schema differs from {parts[0]} ({Describe(reader.Schema.GetDataFields())} vs {Describe(fields)}).");
                metadata ??= reader.CustomMetadata;
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var rg = reader.OpenRowGroupReader(g);
                    if (head.Count < headRows && rg.RowCount > 0)
                        await ReadHeadAsync(rg, fields, headRows - head.Count, head, part, ct);
                    rows += rg.RowCount;
                }
            }
        }

        var match = Artifacts.Match(schema);
        var nearest = match is null
            ? Artifacts.All.Select(a => (a, m: SchemaCheck.Mismatches(a.RowType, schema))).MinBy(x => x.m.Count)
            : default;
        return new DatasetInfo(dirOrFile, parts, match?.Name, nearest.a?.Name, nearest.m ?? [],
            fields.Select(f => new ColumnInfo(f.Name, ColumnTypes.Of(f), f.IsNullable)).ToArray(),
            rows, metadata ?? new Dictionary<string, string>(), head);
    }

    static bool SameColumns(DataField[] a, DataField[] b) => a.Length == b.Length
        && a.Zip(b).All(p => p.First.Name == p.Second.Name && ColumnTypes.Of(p.First) == ColumnTypes.Of(p.Second)
                             && p.First.IsNullable == p.Second.IsNullable);

    static string Describe(DataField[] fs) => string.Join(", ", fs.Select(f => f.Name + ":" + ColumnTypes.Describe(f)));

    // Parquet.Net reads a column chunk whole (the buffer must hold every value of the row group); only the
    // first `take` values are kept.
    static async Task ReadHeadAsync(ParquetRowGroupReader rg, DataField[] fields, int take, List<IReadOnlyList<object?>> head,
        string part, CancellationToken ct)
    {
        var n = (int)rg.RowCount;
        take = Math.Min(take, n);
        var columns = new object?[fields.Length][];
        for (var c = 0; c < fields.Length; c++)
            columns[c] = fields[c].IsArray
                ? Enumerable.Repeat<object?>("(repeated)", take).ToArray()
                : await ReadColumnAsync(rg, fields[c], n, take, part, ct);
        for (var r = 0; r < take; r++)
            head.Add(columns.Select(col => col[r]).ToArray());
    }

    static async Task<object?[]> ReadColumnAsync(ParquetRowGroupReader rg, DataField f, int n, int take, string part, CancellationToken ct)
    {
        try
        {
            var t = f.ClrType;
            if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
            {
                var values = new string?[n];
                await rg.ReadAsync(f, values.AsMemory(), null, ct);
                return values[..take];
            }
            if (t == typeof(byte[]))
            {
                var values = new byte[]?[n];
                await rg.ReadAsync(f, values.AsMemory(), null, ct);
                return values[..take];
            }
            var method = typeof(DatasetInspector).GetMethod(f.IsNullable ? nameof(ReadNullableAsync) : nameof(ReadValuesAsync),
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(t);
            return await (Task<object?[]>)method.Invoke(null, [rg, f, n, take, ct])!;
        }
        catch (Exception e) when (e is not OperationCanceledException and not DataContractException)
        {
            throw new DataContractException($"{part}: cannot read column '{f.Name}' ({ColumnTypes.Of(f)}): {e.Message}");
        }
    }

    static async Task<object?[]> ReadValuesAsync<T>(ParquetRowGroupReader rg, DataField f, int n, int take, CancellationToken ct) where T : struct
    {
        var values = new T[n];
        await rg.ReadAsync(f, values.AsMemory(), null, ct);
        return values.Take(take).Select(v => (object?)v).ToArray();
    }

    static async Task<object?[]> ReadNullableAsync<T>(ParquetRowGroupReader rg, DataField f, int n, int take, CancellationToken ct) where T : struct
    {
        var values = new T?[n];
        await rg.ReadAsync(f, values.AsMemory(), null, ct);
        return values.Take(take).Select(v => (object?)v).ToArray();
    }
}
