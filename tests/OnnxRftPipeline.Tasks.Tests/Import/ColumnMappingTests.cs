using System.Text;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Tasks.Import;

namespace OnnxRftPipeline.Tasks.Tests.Import;

/// <summary>
/// Conventional answer and id columns are imported without flags (issue 18, item 12), the mapping is reported, and flags override
/// or turn it off. The importer reads JSON Lines and CSV (no Parquet input), so both are tried.
/// </summary>
public sealed class ColumnMappingTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("rft-import-map-").FullName;
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string Input(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    static FieldMapping Field(ImportResult r, string field) => r.Columns.Single(c => c.Field == field);

    [Fact]
    public async Task Jsonl_answer_and_id_columns_are_imported_by_their_names_and_reported()
    {
        var file = Input("d.jsonl", """
            {"id": "a", "prompt": "1+2=", "response": "3", "answer": 3, "meta": 1}
            {"id": "b", "prompt": "2+2=", "response": "4", "answer": "4", "meta": 2}
            """);
        var r = await DataImporter.ImportAsync(file, Out, new ImportOptions());
        var rows = await PartFiles.ReadAllAsync<SftExample>(Out);
        Assert.Equal(["a", "b"], rows.Select(x => x.Id));
        Assert.Equal(["3", "4"], rows.Select(x => x.Answer));
        Assert.Equal("answer", Field(r, "answer").Column);
        Assert.StartsWith("conventional name", Field(r, "answer").How);
        Assert.Equal("id", Field(r, "id").Column);
        Assert.Equal(("prompt", "default name"), (Field(r, "prompt").Column!, Field(r, "prompt").How));
        Assert.Equal(["meta"], r.Ignored);
        Assert.Contains("\"answer_field\":\"answer\"", r.Lineage.Settings);   // lineage records the column used, not "not given"
    }

    [Fact]
    public async Task Csv_synonyms_match_in_any_case_and_a_column_used_as_the_response_is_not_also_the_answer()
    {
        // GSM8K's layout plus a short answer: the worked `answer` is the response, `Final_Answer` the reference answer.
        var file = Input("d.csv", "ID,question,answer,Final_Answer\r\nq1,\"1+2=\",\"1+2 is 3 #### 3\",3\r\nq2,\"2+2=\",\"#### 4\",4\r\n");
        var r = await DataImporter.ImportAsync(file, Out, new ImportOptions { PromptField = "question", ResponseField = "answer" });
        var rows = await PartFiles.ReadAllAsync<SftExample>(Out);
        Assert.Equal(["q1", "q2"], rows.Select(x => x.Id));
        Assert.Equal(["3", "4"], rows.Select(x => x.Answer));
        Assert.Equal("Final_Answer", Field(r, "answer").Column);
        Assert.Equal("ID", Field(r, "id").Column);
        Assert.Equal("--prompt-field", Field(r, "prompt").How);
        Assert.Empty(r.Ignored);
    }

    [Fact]
    public async Task Without_such_columns_there_is_no_answer_and_ids_are_hashed_as_before()
    {
        var file = Input("d.jsonl", "{\"prompt\":\"p\",\"response\":\"r\",\"solution\":\"s\"}\n");
        var r = await DataImporter.ImportAsync(file, Out, new ImportOptions());
        var row = Assert.Single(await PartFiles.ReadAllAsync<SftExample>(Out));
        Assert.Null(row.Answer);   // `solution` is not taken as the answer: it usually holds the worked demonstration
        Assert.Equal(DataImporter.StableId("p", "r"), row.Id);
        Assert.Null(Field(r, "answer").Column);
        Assert.Contains("no column named answer", Field(r, "answer").How);
        Assert.Equal(["solution"], r.Ignored);
    }

    [Fact]
    public async Task The_flags_turn_the_conventional_names_off_or_choose_another_column()
    {
        var file = Input("d.jsonl", "{\"id\":\"x\",\"prompt\":\"p\",\"response\":\"r\",\"answer\":\"1\",\"gold\":\"2\"}\n");
        var off = await DataImporter.ImportAsync(file, Out, new ImportOptions { AnswerField = ImportOptions.NoField, IdField = ImportOptions.NoField });
        var row = Assert.Single(await PartFiles.ReadAllAsync<SftExample>(Out));
        Assert.Null(row.Answer);
        Assert.Equal(DataImporter.StableId("p", "r"), row.Id);
        Assert.StartsWith("off by --answer-field none", Field(off, "answer").How);

        var other = await DataImporter.ImportAsync(file, Out, new ImportOptions { AnswerField = "gold", Overwrite = true });
        Assert.Equal("2", Assert.Single(await PartFiles.ReadAllAsync<SftExample>(Out)).Answer);
        Assert.Equal(("gold", "--answer-field"), (Field(other, "answer").Column!, Field(other, "answer").How));
        Assert.Contains("answer", other.Ignored);
    }

    [Fact]
    public async Task Errors_in_a_column_taken_by_its_name_say_how_to_turn_that_off()
    {
        // The mapping comes from the first record; a later record without the column is an error that names the way out.
        var missing = Input("m.jsonl", "{\"prompt\":\"p\",\"response\":\"r\",\"answer\":\"1\"}\n{\"prompt\":\"q\",\"response\":\"r\"}\n");
        var e = await Assert.ThrowsAsync<DataContractException>(() => DataImporter.ImportAsync(missing, Out, new ImportOptions()));
        Assert.Contains("m.jsonl:line 2: missing field 'answer'", e.Message);
        Assert.Contains("--answer-field none", e.Message);

        var dup = Input("d.csv", "id,prompt,response\n1,p,r\n1,q,r\n");
        e = await Assert.ThrowsAsync<DataContractException>(() => DataImporter.ImportAsync(dup, Out, new ImportOptions()));
        Assert.Contains("duplicate id '1' in field 'id'", e.Message);
        Assert.Contains("--id-field none", e.Message);
        Assert.False(Directory.Exists(Out));
    }
}
