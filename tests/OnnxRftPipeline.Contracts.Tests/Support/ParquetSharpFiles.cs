using OnnxRftPipeline.TestSupport;
using ParquetSharp;
using ParquetSharp.Schema;

namespace OnnxRftPipeline.Contracts.Tests.Support;

/// <summary>Writes one-row Parquet files of an arbitrary schema with ParquetSharp (an independent writer), for bad-file tests.</summary>
public static class ParquetSharpFiles
{
    public static void Write(string path, IEnumerable<(string Name, string Type, bool Nullable)> columns)
    {
        var cols = columns.ToArray();
        var nodes = cols.Select(c => (Node)new PrimitiveNode(c.Name, c.Nullable ? Repetition.Optional : Repetition.Required,
            Logical(c.Type), Physical(c.Type))).ToArray();
        using var schema = new GroupNode("schema", Repetition.Required, nodes);
        using var props = new WriterPropertiesBuilder().Build();
        using var writer = new ParquetFileWriter(path, schema, props);
        using (var rg = writer.AppendRowGroup())
            foreach (var c in cols)
            {
                using var col = rg.NextColumn();
                switch (c.Type, c.Nullable)
                {
                    case ("string", _): col.LogicalWriter<string>().WriteBatch(["v"]); break;
                    case ("int32", false): col.LogicalWriter<int>().WriteBatch([1]); break;
                    case ("int32", true): col.LogicalWriter<int?>().WriteBatch([1]); break;
                    case ("int64", false): col.LogicalWriter<long>().WriteBatch([1]); break;
                    case ("int64", true): col.LogicalWriter<long?>().WriteBatch([1]); break;
                    case ("double", false): col.LogicalWriter<double>().WriteBatch([1]); break;
                    case ("double", true): col.LogicalWriter<double?>().WriteBatch([1]); break;
                    case ("boolean", false): col.LogicalWriter<bool>().WriteBatch([true]); break;
                    case ("boolean", true): col.LogicalWriter<bool?>().WriteBatch([true]); break;
                    case ("timestamp", false): col.LogicalWriter<DateTime>().WriteBatch([DateTime.UnixEpoch]); break;
                    case ("timestamp", true): col.LogicalWriter<DateTime?>().WriteBatch([DateTime.UnixEpoch]); break;
                    default: throw new NotSupportedException(c.Type);
                }
            }
        writer.Close();
    }

    /// <summary>The documented columns of an artifact, to edit into a bad schema.</summary>
    public static List<(string Name, string Type, bool Nullable)> Columns(string artifact) =>
        SchemaDoc.For(artifact).Columns.Select(c => (c.Name, c.Type, c.Nullable)).ToList();

    /// <summary>The documented columns with one column replaced.</summary>
    public static List<(string Name, string Type, bool Nullable)> With(string artifact, string column, string type, bool nullable) =>
        Columns(artifact).Select(c => c.Name == column ? (column, type, nullable) : c).ToList();

    static LogicalType Logical(string type) => type switch
    {
        "string" => LogicalType.String(),
        "int32" => LogicalType.Int(32, true),
        "int64" => LogicalType.Int(64, true),
        "timestamp" => LogicalType.Timestamp(true, TimeUnit.Micros),
        _ => LogicalType.None(),
    };

    static PhysicalType Physical(string type) => type switch
    {
        "string" => PhysicalType.ByteArray,
        "int32" => PhysicalType.Int32,
        "int64" or "timestamp" => PhysicalType.Int64,
        "double" => PhysicalType.Double,
        "boolean" => PhysicalType.Boolean,
        _ => throw new NotSupportedException(type),
    };
}
