using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.TestSupport;
using Parquet.Schema;

namespace OnnxRftPipeline.Contracts.Tests;

/// <summary>data-schemas/*.schema.json must say exactly what the row classes make Parquet.Net write.</summary>
public class SchemaDocsTests
{
    public static TheoryData<string> ArtifactNames() => new(Artifacts.All.Select(a => a.Name));

    [Theory]
    [MemberData(nameof(ArtifactNames))]
    public void Schema_file_equals_the_schema_derived_from_the_row_class(string artifact)
    {
        var kind = Artifacts.ByName(artifact)!;
        var doc = SchemaDoc.For(artifact);
        Assert.Equal(artifact, doc.Artifact);
        Assert.Equal(kind.RowType.FullName, doc.RowClass);

        var derived = kind.Schema.GetDataFields()
            .Select(f => (f.Name, Type: ColumnTypes.Of(f), f.IsNullable)).ToArray();
        var documented = doc.Columns.Select(c => (c.Name, c.Type, IsNullable: c.Nullable)).ToArray();
        Assert.Equal(derived, documented);
        Assert.All(kind.Schema.GetDataFields(), f => Assert.False(f.IsArray));
        foreach (var f in kind.Schema.GetDataFields().OfType<DateTimeDataField>())
        {
            Assert.Equal(DateTimeTimeUnit.Micros, f.Unit);
            Assert.True(f.IsAdjustedToUTC, f.Name);
        }
    }

    [Theory]
    [MemberData(nameof(ArtifactNames))]
    public void Physical_and_logical_types_follow_the_documented_type(string artifact)
    {
        foreach (var c in SchemaDoc.For(artifact).Columns)
        {
            var (physical, logical) = c.Type switch
            {
                "string" => ("BYTE_ARRAY", "STRING"),
                "int32" => ("INT32", "INT(32,signed)"),
                "int64" => ("INT64", "INT(64,signed)"),
                "double" => ("DOUBLE", null),
                "boolean" => ("BOOLEAN", null),
                "timestamp" => ("INT64", "TIMESTAMP(MICROS,UTC)"),
                _ => throw new Xunit.Sdk.XunitException($"{artifact}.{c.Name}: unknown type '{c.Type}'"),
            };
            Assert.Equal((physical, logical), (c.Physical, c.Logical));
            Assert.False(string.IsNullOrWhiteSpace(c.Meaning), $"{artifact}.{c.Name} has no meaning");
        }
    }

    [Fact]
    public void Every_schema_file_is_a_registered_artifact_and_vice_versa()
    {
        var files = SchemaDoc.All().Select(d => Path.GetFileName(d.File)).ToArray();
        Assert.Equal(Artifacts.All.Select(a => a.Name + ".schema.json").Order(), files.Order());
    }
}
