using OnnxRftPipeline.Cli.Tests.Faults;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>`rft data import` says which column became which field (issue 18, item 12), and `none` turns a conventional name off.</summary>
public sealed class DataImportVerbTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rft-import-verb-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Import_prints_the_column_mapping_and_none_turns_the_answer_off()
    {
        var input = Path.Combine(_dir, "d.jsonl");
        await File.WriteAllTextAsync(input, "{\"id\":\"a\",\"prompt\":\"1+2=\",\"response\":\"3\",\"final_answer\":3,\"note\":\"x\"}\n");
        using (var run = RftChild.Start("data", "import", "--from", input, "--out", Path.Combine(_dir, "mapped")))
        {
            Assert.True(await run.WaitAsync(TimeSpan.FromMinutes(1)) == 0, run.Error);
            Assert.Contains("answer   ← 'final_answer' (conventional name", run.Output);
            Assert.Contains("id       ← 'id' (conventional name", run.Output);
            Assert.Contains("ignored columns: note", run.Output);
        }
        Assert.Equal("3", Assert.Single(await PartFiles.ReadAllAsync<SftExample>(Path.Combine(_dir, "mapped"))).Answer);

        using (var run = RftChild.Start("data", "import", "--from", input, "--out", Path.Combine(_dir, "off"), "--answer-field", "none"))
        {
            Assert.True(await run.WaitAsync(TimeSpan.FromMinutes(1)) == 0, run.Error);
            Assert.Contains("answer   ← — (off by --answer-field none", run.Output);
        }
        Assert.Null(Assert.Single(await PartFiles.ReadAllAsync<SftExample>(Path.Combine(_dir, "off"))).Answer);
    }
}
