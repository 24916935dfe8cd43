using System.Reflection;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Tests.Support;
using ParquetSharp;

namespace OnnxRftPipeline.Contracts.Tests;

/// <summary>
/// What PartWriter/PartFiles write is read back by ParquetSharp (Apache Arrow's C++ reader, independent of
/// Parquet.Net): columns as documented in data-schemas/, values equal row by row, lineage metadata present.
/// </summary>
public class ParquetSharpReadsPartFilesTests
{
    public static TheoryData<string> ArtifactNames() => SchemaDocsTests.ArtifactNames();

    [Theory]
    [MemberData(nameof(ArtifactNames))]
    public async Task Written_parts_read_back_with_ParquetSharp(string artifact)
    {
        var kind = Artifacts.ByName(artifact)!;
        var rows = SampleRows.Make(kind.RowType, 5);
        var dir = Directory.CreateTempSubdirectory("rft-ps-").FullName;
        var lineage = new Lineage { RunId = "run-7", Producer = "test", ModelVersion = "v3", Seed = 42, Settings = "{\"k\":4}" };

        var parts = await (Task<IReadOnlyList<string>>)typeof(ParquetSharpReadsPartFilesTests)
            .GetMethod(nameof(WriteAsync), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(kind.RowType).Invoke(null, [dir, rows, lineage])!;
        Assert.Equal(3, parts.Count); // 5 rows at 2 per part

        var doc = SchemaDoc.For(artifact);
        var props = kind.RowType.GetProperties().ToDictionary(SampleRows.ColumnName);
        var rowIndex = 0;
        foreach (var part in parts)
        {
            using var reader = new ParquetFileReader(part);
            var md = reader.FileMetaData;
            Assert.Equal(doc.Columns.Select(c => c.Name), Enumerable.Range(0, md.NumColumns).Select(i => md.Schema.Column(i).Name));
            for (var i = 0; i < md.NumColumns; i++)
            {
                var col = md.Schema.Column(i);
                var want = doc.Columns[i];
                Assert.Equal(want.Physical, PhysicalName(col.PhysicalType));
                Assert.Equal(want.Logical, LogicalName(col.LogicalType));
                Assert.Equal(want.Nullable ? 1 : 0, col.MaxDefinitionLevel);
            }
            Assert.Equal(lineage.ToMetadata().OrderBy(kv => kv.Key), md.KeyValueMetadata.Where(kv => kv.Key != "ARROW:schema").OrderBy(kv => kv.Key));

            var n = (int)md.NumRows;
            var columns = new object?[md.NumColumns][];
            using (var rg = reader.RowGroup(0))
            {
                Assert.Equal(1, md.NumRowGroups);
                for (var i = 0; i < md.NumColumns; i++)
                    columns[i] = ReadColumn(rg, i, doc.Columns[i], n);
            }
            for (var r = 0; r < n; r++, rowIndex++)
                for (var i = 0; i < md.NumColumns; i++)
                {
                    var expected = props[doc.Columns[i].Name].GetValue(rows[rowIndex]);
                    Assert.True(Equals(expected, columns[i][r]),
                        $"{artifact} row {rowIndex} column {doc.Columns[i].Name}: wrote {expected ?? "null"}, ParquetSharp read {columns[i][r] ?? "null"}");
                }
        }
        Assert.Equal(rows.Count, rowIndex);
    }

    static async Task<IReadOnlyList<string>> WriteAsync<T>(string dir, List<object> rows, Lineage lineage) where T : class, new()
    {
        await using var writer = new PartWriter<T>(dir, rowsPerPart: 2, lineage);
        await writer.AddRangeAsync(rows.Cast<T>());
        return await writer.CompleteAsync();
    }

    static object?[] ReadColumn(RowGroupReader rg, int i, SchemaDocColumn c, int n)
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

    static string PhysicalName(PhysicalType t) => t switch
    {
        PhysicalType.ByteArray => "BYTE_ARRAY",
        PhysicalType.Int32 => "INT32",
        PhysicalType.Int64 => "INT64",
        PhysicalType.Double => "DOUBLE",
        PhysicalType.Boolean => "BOOLEAN",
        _ => t.ToString(),
    };

    static string? LogicalName(LogicalType t) => t switch
    {
        StringLogicalType => "STRING",
        IntLogicalType i => $"INT({i.BitWidth},{(i.IsSigned ? "signed" : "unsigned")})",
        TimestampLogicalType ts => $"TIMESTAMP({ts.TimeUnit.ToString().ToUpperInvariant()},{(ts.IsAdjustedToUtc ? "UTC" : "local")})",
        NoneLogicalType => null,
        _ => t.ToString(),
    };
}
