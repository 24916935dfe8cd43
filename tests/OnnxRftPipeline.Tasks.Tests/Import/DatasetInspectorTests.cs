using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Tasks.Import;
using Parquet.Serialization;

namespace OnnxRftPipeline.Tasks.Tests.Import;

public class DatasetInspectorTests
{
    readonly string _root = Directory.CreateTempSubdirectory("rft-inspect-").FullName;

    [Fact]
    public async Task Describes_an_imported_dataset_across_parts()
    {
        var input = Path.Combine(_root, "d.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 5).Select(i => $"{{\"id\":\"e{i}\",\"prompt\":\"p{i}\",\"response\":\"r{i}\",\"answer\":{(i == 1 ? "null" : i)}}}"));
        var dir = Path.Combine(_root, "sft");
        await DataImporter.ImportAsync(input, dir, new ImportOptions { IdField = "id", AnswerField = "answer", RowsPerPart = 2 });

        var info = await DatasetInspector.InspectAsync(dir, headRows: 3);
        Assert.Equal("sft_examples", info.Artifact);
        Assert.Equal(3, info.Parts.Count);
        Assert.Equal(5, info.RowCount);
        Assert.Equal(new ColumnInfo("answer", "string", true), info.Columns[3]);
        Assert.Equal(new ColumnInfo("id", "string", false), info.Columns[0]);
        Assert.Equal(DataImporter.Producer, info.Metadata[Lineage.ProducerKey]);
        Assert.Equal(3, info.Head.Count); // two from part 0, one from part 1
        Assert.Equal(new object?[] { "e1", "p1", "r1", null, "imported", "d.jsonl", "{}" }, info.Head[1]);
        Assert.Equal("e2", info.Head[2][0]);
    }

    [Fact]
    public async Task Recognises_numeric_artifacts_and_reads_typed_values()
    {
        var dir = Path.Combine(_root, "hard");
        await PartFiles.WritePartAsync(dir, 0, new[]
        {
            new HardnessRow { ExampleId = "a", FinalLoss = 1.5, IsHard = true, Cluster = 3, Method = "m", Reason = "r" },
            new HardnessRow { ExampleId = "b", FinalLoss = 0.25, Cluster = null, Method = "m", Reason = "r" },
        });
        var info = await DatasetInspector.InspectAsync(Path.Combine(dir, "part-00000.parquet"), headRows: 10);
        Assert.Equal("hardness", info.Artifact);
        Assert.Equal(2, info.Head.Count);
        var cluster = info.Columns.Select(c => c.Name).ToList().IndexOf("cluster");
        Assert.Equal((3, null), (info.Head[0][cluster], info.Head[1][cluster]));
        Assert.Equal(1.5, info.Head[0][1]);
        Assert.Equal(true, info.Head[0][7]);
        Assert.Empty(info.Metadata);
    }

    public sealed class Foreign
    {
        public string? Prompt { get; set; }
        public string? Response { get; set; }
        public long Tokens { get; set; }
    }

    [Fact]
    public async Task A_foreign_file_has_no_artifact_and_reports_the_nearest()
    {
        var file = Path.Combine(_root, "foreign.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new Foreign { Prompt = "p", Response = "r", Tokens = 9 } }, file);
        var info = await DatasetInspector.InspectAsync(file);
        Assert.Null(info.Artifact);
        Assert.NotNull(info.NearestArtifact);
        Assert.NotEmpty(info.NearestMismatches);
        Assert.Equal(["Prompt", "Response", "Tokens"], info.Columns.Select(c => c.Name));
        Assert.Equal("int64", info.Columns[2].Type);
        Assert.Equal(new object?[] { "p", "r", 9L }, info.Head.Single());
    }

    [Fact]
    public async Task Parts_with_different_schemas_are_an_error_naming_the_part()
    {
        var dir = Path.Combine(_root, "mixed");
        await PartFiles.WritePartAsync(dir, 0, new[] { new EvalResultRow { ExampleId = "a", Model = "m", Prediction = "p" } });
        await PartFiles.WritePartAsync(dir, 1, new[] { new NextStageRow { Id = "a", Prompt = "p", Response = "r", Origin = "original" } });
        var e = await Assert.ThrowsAsync<DataContractException>(() => DatasetInspector.InspectAsync(dir));
        Assert.Contains("part-00001.parquet: schema differs from", e.Message);
    }

    [Fact]
    public async Task An_empty_folder_is_an_error_naming_it()
    {
        var e = await Assert.ThrowsAsync<DataContractException>(() => DatasetInspector.InspectAsync(_root));
        Assert.Contains(_root + ": no part files", e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_is_named()
    {
        var file = Path.Combine(_root, "x.parquet");
        File.WriteAllText(file, "nope");
        var e = await Assert.ThrowsAsync<DataContractException>(() => DatasetInspector.InspectAsync(file));
        Assert.Contains(file + ": not a readable Parquet file", e.Message);
    }
}
