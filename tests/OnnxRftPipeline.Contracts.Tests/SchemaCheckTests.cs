using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Tests.Support;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Contracts.Tests;

/// <summary>Each way a file can break its contract gives a message naming the file and the column.</summary>
public class SchemaCheckTests
{
    readonly string _dir = Directory.CreateTempSubdirectory("rft-check-").FullName;

    async Task<string> ErrorReading(string file)
    {
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<TrajectoryRow>(file));
        Assert.Contains(file, e.Message);
        return e.Message;
    }

    [Fact]
    public async Task A_conforming_file_from_another_writer_is_read()
    {
        var file = Path.Combine(_dir, "ok.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.Columns("trajectories"));
        var rows = await PartFiles.ReadAllAsync<TrajectoryRow>(file);
        Assert.Equal(("v", 1, 1L, 1.0), (rows.Single().ExampleId, rows[0].Epoch, rows[0].GlobalStep, rows[0].MeanTokenLoss));
    }

    [Fact]
    public async Task Unreadable_file_is_named()
    {
        var file = Path.Combine(_dir, "part-00000.parquet");
        await File.WriteAllTextAsync(file, "example_id,epoch\na,1\n");
        Assert.Contains("not a readable Parquet file", await ErrorReading(file));
    }

    [Fact]
    public async Task Truncated_file_is_named()
    {
        var good = Path.Combine(_dir, "good.parquet");
        ParquetSharpFiles.Write(good, ParquetSharpFiles.Columns("trajectories"));
        var file = Path.Combine(_dir, "cut.parquet");
        var bytes = await File.ReadAllBytesAsync(good);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);
        Assert.Contains("not a readable Parquet file", await ErrorReading(file));
    }

    [Fact]
    public async Task Missing_column_is_named()
    {
        var file = Path.Combine(_dir, "missing.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.Columns("trajectories").Where(c => c.Name != "global_step"));
        Assert.Contains("missing column 'global_step', expected int64 (required)", await ErrorReading(file));
    }

    [Fact]
    public async Task Mistyped_column_is_named_with_both_types()
    {
        var file = Path.Combine(_dir, "mistyped.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.With("trajectories", "epoch", "int64", false));
        Assert.Contains("column 'epoch' is int64, expected int32", await ErrorReading(file));
    }

    [Fact]
    public async Task String_where_a_number_is_expected_is_named()
    {
        var file = Path.Combine(_dir, "mistyped.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.With("trajectories", "mean_token_loss", "string", false));
        Assert.Contains("column 'mean_token_loss' is string, expected double", await ErrorReading(file));
    }

    [Fact]
    public async Task Nullable_column_where_required_is_named()
    {
        var file = Path.Combine(_dir, "nullable.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.With("trajectories", "example_id", "string", true));
        Assert.Contains("column 'example_id' is nullable, expected required (non-null) string", await ErrorReading(file));
    }

    [Fact]
    public async Task Required_column_where_nullable_is_named()
    {
        var file = Path.Combine(_dir, "required.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.With("hardness", "cluster", "int32", false));
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<HardnessRow>(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("column 'cluster' is required (non-null), expected nullable int32", e.Message);
    }

    [Fact]
    public async Task Every_problem_is_reported_not_only_the_first()
    {
        var file = Path.Combine(_dir, "many.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.With("trajectories", "epoch", "double", false)
            .Where(c => c.Name != "run_id"));
        var msg = await ErrorReading(file);
        Assert.Contains("'epoch'", msg);
        Assert.Contains("'run_id'", msg);
    }

    [Fact]
    public async Task Extra_columns_are_allowed()
    {
        var file = Path.Combine(_dir, "extra.parquet");
        ParquetSharpFiles.Write(file, ParquetSharpFiles.Columns("trajectories").Append(("added_later", "double", true)));
        Assert.Single(await PartFiles.ReadAllAsync<TrajectoryRow>(file));
    }

    [Fact]
    public async Task Folder_without_part_files_is_an_error_naming_the_folder()
    {
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<TrajectoryRow>(_dir));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("no part files", e.Message);
    }

    [Fact]
    public async Task Folder_with_other_parquet_files_suggests_passing_a_file()
    {
        ParquetSharpFiles.Write(Path.Combine(_dir, "train.parquet"), ParquetSharpFiles.Columns("trajectories"));
        await File.WriteAllTextAsync(Path.Combine(_dir, ".part-00000.parquet.abc" + PartFiles.TempSuffix), "half");
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<TrajectoryRow>(_dir));
        Assert.Contains("train.parquet", e.Message);
        Assert.Contains("1 unfinished temp part", e.Message);
    }

    [Fact]
    public async Task Missing_path_is_named()
    {
        var path = Path.Combine(_dir, "nope");
        var e = await Assert.ThrowsAsync<DataContractException>(() => PartFiles.ReadAllAsync<TrajectoryRow>(path));
        Assert.Contains(path + ": no such file or folder", e.Message);
    }

    [Fact]
    public void Artifact_kind_is_recognised_from_a_file_schema()
    {
        foreach (var kind in Artifacts.All)
        {
            var file = Path.Combine(_dir, kind.Name + ".parquet");
            ParquetSharpFiles.Write(file, ParquetSharpFiles.Columns(kind.Name));
            Assert.Equal(kind, Artifacts.Match(SchemaCheck.ReadSchemaAsync(file).Result));
        }
        var other = Path.Combine(_dir, "other.parquet");
        ParquetSharpFiles.Write(other, [("x", "string", false)]);
        Assert.Null(Artifacts.Match(SchemaCheck.ReadSchemaAsync(other).Result));
    }
}
