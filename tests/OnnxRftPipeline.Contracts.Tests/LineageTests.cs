using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Contracts.Tests;

public class LineageTests
{
    readonly string _dir = Directory.CreateTempSubdirectory("rft-lineage-").FullName;
    static readonly SftExample[] Rows = [new() { Id = "a", Prompt = "p", Response = "r", Task = "t", Source = "s" }];

    [Fact]
    public async Task Lineage_round_trips_through_part_metadata()
    {
        var lineage = new Lineage { RunId = "r1", Producer = "rft sample", ModelVersion = "v2", Seed = -7, CreatedAt = new DateTimeOffset(2026, 11, 23, 1, 2, 3, TimeSpan.Zero) }
            .WithSettings(new { Temperature = 0.7, TopK = 40 });
        Assert.Equal("{\"temperature\":0.7,\"top_k\":40}", lineage.Settings);
        var file = await PartFiles.WritePartAsync(_dir, 0, Rows, lineage.ToMetadata());
        var md = await PartFiles.ReadMetadataAsync(file);
        Assert.Equal("2026-11-23T01:02:03.0000000Z", md[Lineage.CreatedAtKey]);
        Assert.Equal(lineage, await Lineage.ReadAsync(file));
    }

    [Fact]
    public void Required_keys_are_always_written_and_created_at_only_when_set()
    {
        var md = new Lineage { RunId = "r", Producer = "p" }.ToMetadata();
        Assert.Equal(Lineage.RequiredKeys, md.Keys);
        Assert.Equal(("", "", "{}"), (md["model_version"], md["seed"], md["settings"]));
    }

    [Fact]
    public async Task Without_created_at_the_same_rows_give_byte_identical_files()
    {
        var md = new Lineage { RunId = "r", Producer = "synth", Seed = 1 }.ToMetadata();
        var a = await PartFiles.WritePartAsync(Path.Combine(_dir, "a"), 0, Rows, md);
        var b = await PartFiles.WritePartAsync(Path.Combine(_dir, "b"), 0, Rows, md);
        Assert.Equal(await File.ReadAllBytesAsync(a), await File.ReadAllBytesAsync(b));
    }

    [Fact]
    public void Missing_key_names_the_file_and_key()
    {
        var md = new Lineage { RunId = "r", Producer = "p" }.ToMetadata().Where(kv => kv.Key != "seed").ToDictionary();
        var e = Assert.Throws<DataContractException>(() => Lineage.FromMetadata(md, "x/part-00000.parquet"));
        Assert.Contains("x/part-00000.parquet: key-value metadata has no 'seed'", e.Message);
    }

    [Theory]
    [InlineData("seed", "abc", "metadata 'seed' is 'abc'")]
    [InlineData("settings", "{oops", "metadata 'settings' is not JSON")]
    [InlineData("created_at", "yesterday", "metadata 'created_at' is 'yesterday'")]
    public void Malformed_values_name_the_key(string key, string value, string expected)
    {
        var md = new Lineage { RunId = "r", Producer = "p" }.ToMetadata().ToDictionary();
        md[key] = value;
        var e = Assert.Throws<DataContractException>(() => Lineage.FromMetadata(md, "f.parquet"));
        Assert.Contains("f.parquet: " + expected, e.Message);
    }

    [Fact]
    public void Settings_that_are_not_json_are_refused_before_writing()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => new Lineage { RunId = "r", Producer = "p", Settings = "temp=1" }.ToMetadata());
    }
}
