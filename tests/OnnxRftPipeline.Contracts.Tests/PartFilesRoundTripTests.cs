using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Contracts.Tests;

public class PartFilesRoundTripTests
{
    [Fact]
    public async Task Sft_examples_round_trip_with_metadata()
    {
        var dir = Directory.CreateTempSubdirectory("rft-parts-").FullName;
        var rows = new List<SftExample>
        {
            new() { Id = "a", Prompt = "1+2=", Response = "3", Answer = "3", Task = "add", Source = "synth" },
            new() { Id = "b", Prompt = "x", Response = "y", Answer = null, Task = "t", Source = "s", Metadata = "{\"k\":1}" },
        };
        var path = await PartFiles.WritePartAsync(dir, 0, rows, new Dictionary<string, string> { ["run_id"] = "r1" });
        Assert.Equal("part-00000.parquet", Path.GetFileName(path));
        var back = await PartFiles.ReadAllAsync<SftExample>(dir);
        Assert.Equal(2, back.Count);
        Assert.Equal("1+2=", back[0].Prompt);
        Assert.Null(back[1].Answer);
        Assert.Equal("{\"k\":1}", back[1].Metadata);
        Assert.Equal("r1", (await PartFiles.ReadMetadataAsync(path))["run_id"]);
        Assert.Empty(Directory.GetFiles(dir, "*" + PartFiles.TempSuffix));
    }

    [Fact]
    public async Task Reading_a_file_of_another_schema_names_the_missing_column()
    {
        var dir = Directory.CreateTempSubdirectory("rft-parts-").FullName;
        await PartFiles.WritePartAsync(dir, 0, new[] { new EvalResultRow { ExampleId = "a", Model = "m" } });
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<SftExample>(dir));
        Assert.Contains("missing column 'id'", e.Message);
        Assert.Contains("part-00000.parquet", e.Message);
    }
}
