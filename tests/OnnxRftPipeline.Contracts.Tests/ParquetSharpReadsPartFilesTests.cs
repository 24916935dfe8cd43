using System.Reflection;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Tests.Support;
using OnnxRftPipeline.TestSupport;
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
            ParquetSharpSchema.AssertMatches(md, doc, part);
            Assert.Equal(lineage.ToMetadata().OrderBy(kv => kv.Key), md.KeyValueMetadata.Where(kv => kv.Key != "ARROW:schema").OrderBy(kv => kv.Key));

            var n = (int)md.NumRows;
            var columns = new object?[md.NumColumns][];
            using (var rg = reader.RowGroup(0))
            {
                Assert.Equal(1, md.NumRowGroups);
                for (var i = 0; i < md.NumColumns; i++)
                    columns[i] = ParquetSharpSchema.ReadColumn(rg, i, doc.Columns[i], n);
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
}
