using System.Text;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Tasks.Import;

namespace OnnxRftPipeline.Tasks.Tests.Import;

public class DataImporterTests
{
    readonly string _root = Directory.CreateTempSubdirectory("rft-import-").FullName;
    string Out => Path.Combine(_root, "out");

    string Input(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public async Task Jsonl_maps_fields_and_writes_parts_with_lineage()
    {
        var file = Input("math.jsonl", """
            {"uid": "a", "q": "1+2=", "sol": "3", "ans": 3}
            {"uid": 7, "q": "x", "sol": " y\n", "ans": null, "extra": [1]}

            {"uid": "c", "q": "é", "sol": "z", "ans": "z"}
            """);
        var o = new ImportOptions { PromptField = "q", ResponseField = "sol", AnswerField = "ans", IdField = "uid", Task = "arith", RowsPerPart = 2 };
        var result = await DataImporter.ImportAsync(file, Out, o);

        Assert.Equal(3, result.Rows);
        Assert.Equal(["part-00000.parquet", "part-00001.parquet"], result.Parts.Select(Path.GetFileName));
        var rows = await PartFiles.ReadAllAsync<SftExample>(Out);
        Assert.Equal(["a", "7", "c"], rows.Select(r => r.Id));
        Assert.Equal(["1+2=", "x", "é"], rows.Select(r => r.Prompt));
        Assert.Equal(" y\n", rows[1].Response);
        Assert.Equal(["3", null, "z"], rows.Select(r => r.Answer));
        Assert.All(rows, r => Assert.Equal(("arith", "math.jsonl", "{}"), (r.Task, r.Source, r.Metadata)));

        var lineage = await Lineage.ReadAsync(result.Parts[1]);
        Assert.Equal(DataImporter.Producer, lineage.Producer);
        Assert.StartsWith("import-", lineage.RunId);
        Assert.Contains("\"prompt_field\":\"q\"", lineage.Settings);
        Assert.Null(lineage.CreatedAt);
        Assert.Empty(Directory.GetFileSystemEntries(_root, ".*"));
    }

    [Fact]
    public async Task Csv_handles_quotes_commas_newlines_and_hashes_ids()
    {
        var file = Input("d.csv", "prompt,response,answer\r\n\"a, b\",\"say \"\"hi\"\"\",1\r\n\"multi\nline\",  padded  ,\r\n");
        var result = await DataImporter.ImportAsync(file, Out, new ImportOptions { AnswerField = "answer" });
        var rows = await PartFiles.ReadAllAsync<SftExample>(Out);
        Assert.Equal(2, result.Rows);
        Assert.Equal(["a, b", "multi\nline"], rows.Select(r => r.Prompt));
        Assert.Equal(["say \"hi\"", "  padded  "], rows.Select(r => r.Response));
        Assert.Equal(["1", null], rows.Select(r => r.Answer));
        Assert.Equal(DataImporter.StableId("a, b", "say \"hi\""), rows[0].Id);
        Assert.Equal(16, rows[0].Id.Length);
        Assert.Equal("imported", rows[0].Task);
    }

    [Fact]
    public void Stable_id_depends_on_where_prompt_ends()
    {
        Assert.Equal(DataImporter.StableId("ab", "c"), DataImporter.StableId("ab", "c"));
        Assert.NotEqual(DataImporter.StableId("ab", "c"), DataImporter.StableId("a", "bc"));
    }

    [Fact]
    public async Task Importing_the_same_file_twice_gives_byte_identical_parts()
    {
        var file = Input("d.jsonl", "{\"prompt\":\"p1\",\"response\":\"r1\"}\n{\"prompt\":\"p2\",\"response\":\"r2\"}\n");
        var a = await DataImporter.ImportAsync(file, Path.Combine(_root, "a"), new ImportOptions());
        var b = await DataImporter.ImportAsync(file, Path.Combine(_root, "b"), new ImportOptions());
        Assert.Equal(a.Lineage.RunId, b.Lineage.RunId);
        Assert.Equal(File.ReadAllBytes(a.Parts[0]), File.ReadAllBytes(b.Parts[0]));
    }

    async Task<string> Fails(string file, ImportOptions? o = null)
    {
        var e = await Assert.ThrowsAsync<DataContractException>(() => DataImporter.ImportAsync(file, Out, o ?? new ImportOptions { RowsPerPart = 1 }));
        Assert.False(Directory.Exists(Out), "output folder left behind");
        Assert.Empty(Directory.GetFileSystemEntries(_root, ".*")); // no temp folder either
        Assert.Contains(file, e.Message);
        return e.Message;
    }

    const string Good = "{\"prompt\":\"p\",\"response\":\"r\"}\n{\"prompt\":\"p2\",\"response\":\"r2\"}\n";

    [Fact]
    public async Task Missing_field_names_line_and_field_and_leaves_nothing()
    {
        // Two parts are already written when line 3 fails (one row per part).
        var msg = await Fails(Input("d.jsonl", Good + "{\"prompt\":\"p3\"}\n"));
        Assert.Contains("d.jsonl:line 3: missing field 'response'", msg);
    }

    [Fact]
    public async Task Wrong_type_names_the_field_and_type() =>
        Assert.Contains("d.jsonl:line 2: field 'prompt' is a number, expected a string",
            await Fails(Input("d.jsonl", "{\"prompt\":\"p\",\"response\":\"r\"}\n{\"prompt\":12,\"response\":\"r\"}\n")));

    [Fact]
    public async Task Object_answer_is_a_wrong_type() =>
        Assert.Contains("line 1: field 'a' is an object, expected a string or number",
            await Fails(Input("d.jsonl", "{\"prompt\":\"p\",\"response\":\"r\",\"a\":{}}\n"), new ImportOptions { AnswerField = "a" }));

    [Fact]
    public async Task Invalid_json_names_the_line() =>
        Assert.Contains("d.jsonl:line 3: invalid JSON", await Fails(Input("d.jsonl", Good + "{\"prompt\": \"p\", \n")));

    [Fact]
    public async Task A_json_array_is_not_json_lines() =>
        Assert.Contains("line 1: expected a JSON object, got an array", await Fails(Input("d.json", "[{\"prompt\":\"p\",\"response\":\"r\"}]\n")));

    [Theory]
    [InlineData("{\"prompt\":\"  \",\"response\":\"r\"}", "field 'prompt' (prompt) is empty")]
    [InlineData("{\"prompt\":null,\"response\":\"r\"}", "field 'prompt' (prompt) is null")]
    [InlineData("{\"prompt\":\"p\",\"response\":\"\"}", "field 'response' (response) is empty")]
    public async Task Empty_or_null_prompt_and_response_are_errors(string line, string expected) =>
        Assert.Contains("d.jsonl:line 3: " + expected, await Fails(Input("d.jsonl", Good + line + "\n")));

    [Fact]
    public async Task Duplicate_id_names_both_lines() =>
        Assert.Contains("d.jsonl:line 3: duplicate id 'x' in field 'id' (first at " ,
            await Fails(Input("d.jsonl", "{\"id\":\"x\",\"prompt\":\"p\",\"response\":\"r\"}\n{\"id\":\"y\",\"prompt\":\"p\",\"response\":\"r\"}\n{\"id\":\"x\",\"prompt\":\"q\",\"response\":\"r\"}\n"),
                new ImportOptions { IdField = "id" }));

    [Fact]
    public async Task Duplicate_prompt_and_response_without_id_field_is_an_error()
    {
        var msg = await Fails(Input("d.jsonl", Good + "{\"prompt\":\"p\",\"response\":\"r\"}\n"));
        Assert.Contains("d.jsonl:line 3: same prompt and response as ", msg);
        Assert.Contains("d.jsonl:line 1", msg);
    }

    [Fact]
    public async Task Csv_missing_column_names_row_and_columns() =>
        Assert.Contains("d.csv:row 1 (line 2): missing field 'response' (columns: prompt, reply)",
            await Fails(Input("d.csv", "prompt,reply\np,r\n")));

    [Fact]
    public async Task Csv_wrong_field_count_names_row_and_line() =>
        Assert.Contains("d.csv:row 2 (line 3): has 3 fields, the header has 2",
            await Fails(Input("d.csv", "prompt,response\np,r\np2,r2,extra\n")));

    [Fact]
    public async Task Csv_unbalanced_quote_names_the_line() =>
        Assert.Contains("d.csv:line 3: malformed CSV",
            await Fails(Input("d.csv", "prompt,response\np,r\n\"p2,r2\n")));

    [Fact]
    public async Task Empty_input_is_an_error() =>
        Assert.Contains("no records", await Fails(Input("d.jsonl", "\n\n")));

    [Fact]
    public async Task Invalid_utf8_names_the_line()
    {
        var path = Path.Combine(_root, "d.jsonl");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(Good + "{\"prompt\":\""), 0xFF, .. "\",\"response\":\"r\"}\n"u8]);
        Assert.Contains("d.jsonl:line 3: not valid UTF-8", await Fails(path));
    }

    [Fact]
    public async Task Non_empty_output_is_kept_unless_overwrite()
    {
        Directory.CreateDirectory(Out);
        File.WriteAllText(Path.Combine(Out, "keep.txt"), "x");
        var file = Input("d.jsonl", Good);
        var e = await Assert.ThrowsAsync<DataContractException>(() => DataImporter.ImportAsync(file, Out, new ImportOptions()));
        Assert.Contains("output folder is not empty", e.Message);
        Assert.True(File.Exists(Path.Combine(Out, "keep.txt")));

        await DataImporter.ImportAsync(file, Out, new ImportOptions { Overwrite = true });
        Assert.False(File.Exists(Path.Combine(Out, "keep.txt")));
        Assert.Equal(2, (await PartFiles.ReadAllAsync<SftExample>(Out)).Count);
        Assert.Empty(Directory.GetFileSystemEntries(_root, ".*"));
    }

    [Fact]
    public async Task Missing_input_is_named()
    {
        var path = Path.Combine(_root, "none.jsonl");
        var e = await Assert.ThrowsAsync<DataContractException>(() => DataImporter.ImportAsync(path, Out, new ImportOptions()));
        Assert.Contains(path + ": no such file", e.Message);
    }
}
