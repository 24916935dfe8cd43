using ParquetSharp;

namespace OnnxRftPipeline.TestSupport;

/// <summary>
/// Checks a Parquet file against its data-schemas/ document with ParquetSharp (Apache Arrow's C++ reader,
/// independent of the Parquet.Net writer under test). Shared by the contract tests and the CLI tests that
/// read what real commands wrote.
/// </summary>
public static class ParquetSharpSchema
{
    /// <summary>The documented artifact whose column names are exactly the file's, in order; null when none is.</summary>
    public static SchemaDoc? Identify(FileMetaData md)
    {
        var names = ColumnNames(md);
        return SchemaDoc.All().SingleOrDefault(d => d.Columns.Select(c => c.Name).SequenceEqual(names));
    }

    public static IReadOnlyList<string> ColumnNames(FileMetaData md) =>
        Enumerable.Range(0, md.NumColumns).Select(i => md.Schema.Column(i).Name).ToArray();

    /// <summary>Column names, physical and logical types and nullability are as documented.</summary>
    public static void AssertMatches(FileMetaData md, SchemaDoc doc, string file)
    {
        Assert.Equal(doc.Columns.Select(c => c.Name), ColumnNames(md));
        for (var i = 0; i < md.NumColumns; i++)
        {
            var col = md.Schema.Column(i);
            var want = doc.Columns[i];
            Assert.True(want.Physical == PhysicalName(col.PhysicalType), $"{file} column {want.Name}: physical {PhysicalName(col.PhysicalType)}, documented {want.Physical}");
            Assert.True(want.Logical == LogicalName(col.LogicalType), $"{file} column {want.Name}: logical {LogicalName(col.LogicalType)}, documented {want.Logical}");
            Assert.True((want.Nullable ? 1 : 0) == col.MaxDefinitionLevel, $"{file} column {want.Name}: nullability differs from the documented {want.Nullable}");
        }
    }

    /// <summary>Every value of column <paramref name="i"/> of a row group, read as the documented type.</summary>
    public static object?[] ReadColumn(RowGroupReader rg, int i, SchemaDocColumn c, int n)
    {
        using var col = rg.Column(i);
        return (c.Type, c.Nullable) switch
        {
            ("string", _) => col.LogicalReader<string>().ReadAll(n),
            ("int32", false) => Box(col.LogicalReader<int>().ReadAll(n)),
            ("int32", true) => Box(col.LogicalReader<int?>().ReadAll(n)),
            ("int64", false) => Box(col.LogicalReader<long>().ReadAll(n)),
            ("int64", true) => Box(col.LogicalReader<long?>().ReadAll(n)),
            ("double", false) => Box(col.LogicalReader<double>().ReadAll(n)),
            ("double", true) => Box(col.LogicalReader<double?>().ReadAll(n)),
            ("boolean", false) => Box(col.LogicalReader<bool>().ReadAll(n)),
            ("boolean", true) => Box(col.LogicalReader<bool?>().ReadAll(n)),
            ("timestamp", false) => Box(col.LogicalReader<DateTime>().ReadAll(n)),
            ("timestamp", true) => Box(col.LogicalReader<DateTime?>().ReadAll(n)),
            _ => throw new NotSupportedException(c.Type),
        };
    }

    static object?[] Box<TV>(TV[] values) => values.Select(v => (object?)v).ToArray();

    public static string PhysicalName(PhysicalType t) => t switch
    {
        PhysicalType.ByteArray => "BYTE_ARRAY",
        PhysicalType.Int32 => "INT32",
        PhysicalType.Int64 => "INT64",
        PhysicalType.Double => "DOUBLE",
        PhysicalType.Boolean => "BOOLEAN",
        _ => t.ToString(),
    };

    public static string? LogicalName(LogicalType t) => t switch
    {
        StringLogicalType => "STRING",
        IntLogicalType i => $"INT({i.BitWidth},{(i.IsSigned ? "signed" : "unsigned")})",
        TimestampLogicalType ts => $"TIMESTAMP({ts.TimeUnit.ToString().ToUpperInvariant()},{(ts.IsAdjustedToUtc ? "UTC" : "local")})",
        NoneLogicalType => null,
        _ => t.ToString(),
    };
}
