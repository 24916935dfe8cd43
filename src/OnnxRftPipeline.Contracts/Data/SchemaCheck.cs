using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Compares a Parquet file's schema with the schema a row class expects, column by column. Extra columns
/// are allowed (a newer writer may add some); a missing, mistyped or differently nullable column is not,
/// because Parquet.Net's deserializer would fail on it with a message that does not name the file.
/// </summary>
public static class SchemaCheck
{
    /// <summary>Throws <see cref="DataContractException"/> naming the file and the first offending column.</summary>
    public static async Task ValidateAsync<T>(string file, CancellationToken ct = default)
    {
        var actual = await ReadSchemaAsync(file, ct);
        var problems = Mismatches(typeof(T), actual);
        if (problems.Count > 0)
            throw new DataContractException($"{file}: {problems[0]} (contract {typeof(T).Name}" +
                (problems.Count > 1 ? $"; {problems.Count - 1} more problem(s): {string.Join("; ", problems.Skip(1))})" : ")"));
    }

    /// <summary>The schema of a Parquet file, or a <see cref="DataContractException"/> naming the file if it cannot be read.</summary>
    public static async Task<ParquetSchema> ReadSchemaAsync(string file, CancellationToken ct = default)
    {
        try
        {
            await using var fs = File.OpenRead(file);
            await using var reader = await ParquetReader.CreateAsync(fs, cancellationToken: ct);
            return reader.Schema;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new DataContractException($"{file}: not a readable Parquet file ({e.Message}).");
        }
    }

    /// <summary>Every difference between a row class's contract and a file schema, one message per column.</summary>
    public static IReadOnlyList<string> Mismatches(Type rowType, ParquetSchema actual)
    {
        var problems = new List<string>();
        var byName = actual.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var want in rowType.GetParquetSchema(forWriting: false).GetDataFields())
        {
            if (!byName.TryGetValue(want.Name, out var got))
                problems.Add($"missing column '{want.Name}', expected {ColumnTypes.Describe(want)}");
            else if (ColumnTypes.Of(got) != ColumnTypes.Of(want) || got.IsArray != want.IsArray)
                problems.Add($"column '{want.Name}' is {ColumnTypes.Of(got)}{(got.IsArray ? "[]" : "")}, expected {ColumnTypes.Of(want)}");
            else if (got.IsNullable != want.IsNullable)
                problems.Add(got.IsNullable
                    ? $"column '{want.Name}' is nullable, expected required (non-null) {ColumnTypes.Of(want)}"
                    : $"column '{want.Name}' is required (non-null), expected nullable {ColumnTypes.Of(want)}");
        }
        return problems;
    }
}
