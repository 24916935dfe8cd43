using Parquet.Schema;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// The column type vocabulary of data-schemas/*.schema.json (string, int32, int64, double, boolean,
/// timestamp) and its mapping from Parquet.Net's fields.
/// </summary>
public static class ColumnTypes
{
    public const string String = "string", Int32 = "int32", Int64 = "int64", Double = "double",
        Boolean = "boolean", Timestamp = "timestamp";

    /// <summary>The contract type name of a field; other Parquet types are described by their CLR type.</summary>
    public static string Of(DataField f)
    {
        var t = f.ClrType;
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>)) return String;
        if (t == typeof(int)) return Int32;
        if (t == typeof(long)) return Int64;
        if (t == typeof(double)) return Double;
        if (t == typeof(bool)) return Boolean;
        if (t == typeof(DateTime))
            return f is DateTimeDataField { DateTimeFormat: DateTimeFormat.Timestamp } ? Timestamp : "datetime(" + Format(f) + ")";
        return t.Name;
    }

    static string Format(DataField f) => f is DateTimeDataField d ? d.DateTimeFormat.ToString() : "?";

    public static string Describe(DataField f) => Of(f) + (f.IsNullable ? " (nullable)" : " (required)");
}
