using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.TestSupport;
using ParquetSharp;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>
/// Every Parquet file a real (tiny) cycle writes, read back by ParquetSharp — a reader independent of the
/// Parquet.Net writer — and checked against data-schemas/: what a data engineer downstream would meet.
/// </summary>
[Collection(CycleCollection.Name)]
public class CycleOutputsTests(UninterruptedCycle straight) : IClassFixture<UninterruptedCycle>
{
    [Fact]
    public void Every_parquet_file_of_a_cycle_reads_back_with_ParquetSharp_as_documented()
    {
        var files = Directory.GetFiles(straight.Result.RunDir, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        long rows = 0;
        foreach (var file in files)
        {
            using var reader = new ParquetFileReader(file);
            var md = reader.FileMetaData;
            var doc = ParquetSharpSchema.Identify(md);
            Assert.True(doc is not null, $"{file}: columns [{string.Join(", ", ParquetSharpSchema.ColumnNames(md))}] match no data-schemas/ document");
            ParquetSharpSchema.AssertMatches(md, doc!, file);
            foreach (var key in Lineage.RequiredKeys)
                Assert.True(md.KeyValueMetadata.ContainsKey(key), $"{file}: no lineage key '{key}'");
            // Decode every value of every row group, so a file that only has a readable footer fails here.
            for (var g = 0; g < md.NumRowGroups; g++)
            {
                using var rg = reader.RowGroup(g);
                var n = checked((int)rg.MetaData.NumRows);
                for (var i = 0; i < md.NumColumns; i++)
                    Assert.Equal(n, ParquetSharpSchema.ReadColumn(rg, i, doc!.Columns[i], n).Length);
                rows += n;
            }
            seen.Add(doc!.Artifact);
        }
        Assert.Equal(["candidates", "eval_results", "hardness", "next_stage", "sft_examples", "trajectories"], seen);
        Assert.True(rows > 0);
    }
}
