using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>Compares a Parquet file's schema with the schema a row class expects, column by column.</summary>
public static class SchemaCheck
{
    public static async Task ValidateAsync<T>(string file, CancellationToken ct = default)
    {
        var expected = typeof(T).GetParquetSchema(forWriting: false);
        ParquetSchema actual;
        try
        {
            await using var fs = File.OpenRead(file);
            await using var reader = await ParquetReader.CreateAsync(fs, cancellationToken: ct);
            actual = reader.Schema;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new DataContractException($"{file}: not a readable Parquet file ({e.Message}).");
        }
        var byName = actual.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var want in expected.GetDataFields())
        {
            if (!byName.TryGetValue(want.Name, out var got))
                throw new DataContractException(
                    $"{file}: missing column '{want.Name}' ({Describe(want)}) required by {typeof(T).Name}.");
            if (got.ClrType != want.ClrType)
                throw new DataContractException(
                    $"{file}: column '{want.Name}' is {Describe(got)}, expected {Describe(want)}.");
            if (got.IsNullable && !want.IsNullable && want.ClrType != typeof(string))
                throw new DataContractException(
                    $"{file}: column '{want.Name}' is nullable, expected non-nullable {Describe(want)}.");
        }
    }

    static string Describe(DataField f) => f.ClrType.Name + (f.IsNullable ? "?" : "");
}
