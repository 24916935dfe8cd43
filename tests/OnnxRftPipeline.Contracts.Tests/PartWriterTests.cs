using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Contracts.Tests;

public class PartWriterTests
{
    readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("rft-writer-").FullName, "out");
    static readonly Lineage Lin = new() { RunId = "r", Producer = "test" };

    static IEnumerable<EvalResultRow> Rows(int n) =>
        Enumerable.Range(0, n).Select(i => new EvalResultRow { ExampleId = $"e{i}", Model = "m", K = i, Prediction = "p" });

    [Fact]
    public async Task Cuts_a_part_every_n_rows_and_reads_back_in_order()
    {
        await using var w = new PartWriter<EvalResultRow>(_dir, 3, Lin);
        await w.AddRangeAsync(Rows(7));
        Assert.Equal(2, w.WrittenParts.Count); // the seventh row is still buffered
        var parts = await w.CompleteAsync();
        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], parts.Select(Path.GetFileName));
        Assert.Equal(7, w.RowCount);
        var back = await PartFiles.ReadAllAsync<EvalResultRow>(_dir);
        Assert.Equal(Enumerable.Range(0, 7), back.Select(r => r.K));
        var counts = await Task.WhenAll(parts.Select(async p => (await PartFiles.ReadAllAsync<EvalResultRow>(p)).Count));
        Assert.Equal(new[] { 3, 3, 1 }, counts);
        foreach (var p in parts) Assert.Equal("r", (await Lineage.ReadAsync(p)).RunId);
        Assert.Empty(Directory.GetFiles(_dir, "*" + PartFiles.TempSuffix));
    }

    [Fact]
    public async Task An_empty_result_is_one_readable_part_with_no_rows()
    {
        await using var w = new PartWriter<EvalResultRow>(_dir, 3, Lin);
        var parts = await w.CompleteAsync();
        Assert.Single(parts);
        Assert.Empty(await PartFiles.ReadAllAsync<EvalResultRow>(_dir));
    }

    [Fact]
    public async Task Disposing_without_complete_keeps_finished_parts_only()
    {
        await using (var w = new PartWriter<EvalResultRow>(_dir, 2, Lin))
            await w.AddRangeAsync(Rows(5));
        Assert.Equal(4, (await PartFiles.ReadAllAsync<EvalResultRow>(_dir)).Count);
    }

    [Fact]
    public async Task Resuming_continues_after_finished_parts_and_refuses_to_overwrite()
    {
        await using (var w = new PartWriter<EvalResultRow>(_dir, 2, Lin))
        {
            await w.AddRangeAsync(Rows(4));
            await w.CompleteAsync();
        }
        var e = Assert.Throws<DataContractException>(() => new PartWriter<EvalResultRow>(_dir, 2, Lin, firstPartIndex: 1));
        Assert.Contains("part-00001.parquet", e.Message);

        await using (var w = new PartWriter<EvalResultRow>(_dir, 2, Lin, firstPartIndex: 2))
        {
            await w.AddRangeAsync(Rows(1));
            Assert.Equal("part-00002.parquet", Path.GetFileName((await w.CompleteAsync()).Single()));
        }
        Assert.Equal(5, (await PartFiles.ReadAllAsync<EvalResultRow>(_dir)).Count);
    }
}
