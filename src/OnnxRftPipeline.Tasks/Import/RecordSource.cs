using System.Text;
using System.Text.Json;
using Microsoft.VisualBasic.FileIO;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Import;

/// <summary>One input record: where it is (for messages) and its fields by name.</summary>
internal abstract class InputRecord(string location)
{
    public string Location { get; } = location;

    /// <summary>The record's column names, in input order.</summary>
    public abstract IReadOnlyList<string> Columns { get; }

    /// <summary>The field's text; null when the field is present but null. Throws when absent or of a type that is not text.</summary>
    public abstract string? Get(string field, bool numberAllowed);

    protected DataContractException Error(string what) => new($"{Location}: {what}");
}

internal static class RecordSource
{
    // InputScan has already checked the bytes are UTF-8, line by line, so decoding cannot fail here.
    public static IEnumerable<InputRecord> Read(string file, InputFormat format) =>
        Resolve(file, format) == InputFormat.Csv ? ReadCsv(file) : ReadJsonl(file);

    public static InputFormat Resolve(string file, InputFormat format) => format != InputFormat.Auto ? format
        : string.Equals(Path.GetExtension(file), ".csv", StringComparison.OrdinalIgnoreCase) ? InputFormat.Csv : InputFormat.Jsonl;

    static IEnumerable<InputRecord> ReadJsonl(string file)
    {
        using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        for (var line = 1; ; line++)
        {
            var text = reader.ReadLine();
            if (text is null) yield break;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new DataContractException($"{file}:line {line}: invalid JSON ({e.Message}).");
            }
            if (root.ValueKind != JsonValueKind.Object)
                throw new DataContractException($"{file}:line {line}: expected a JSON object, got {Kind(root.ValueKind)} (JSON Lines: one object per line).");
            yield return new JsonRecord($"{file}:line {line}", root);
        }
    }

    static string Kind(JsonValueKind k) => k switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    sealed class JsonRecord(string location, JsonElement root) : InputRecord(location)
    {
        public override IReadOnlyList<string> Columns => root.EnumerateObject().Select(p => p.Name).ToList();

        public override string? Get(string field, bool numberAllowed)
        {
            if (!root.TryGetProperty(field, out var v))
                throw Error($"missing field '{field}'.");
            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Null => null,
                JsonValueKind.Number when numberAllowed => v.GetRawText(),
                _ => throw Error($"field '{field}' is {Kind(v.ValueKind)}, expected a string{(numberAllowed ? " or number" : "")}."),
            };
        }
    }

    static IEnumerable<InputRecord> ReadCsv(string file)
    {
        using var parser = new TextFieldParser(file, Encoding.UTF8, detectEncoding: true)
        {
            TextFieldType = FieldType.Delimited,
            HasFieldsEnclosedInQuotes = true,
            TrimWhiteSpace = false, // responses keep their leading/trailing whitespace
        };
        parser.SetDelimiters(",");
        var header = Next(parser, file, "header") ?? throw new DataContractException($"{file}: empty CSV file (expected a header row).");
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Fields.Length; i++)
            if (!columns.TryAdd(header.Fields[i], i))
                throw new DataContractException($"{file}:line {header.Line}: header names column '{header.Fields[i]}' twice.");
        for (var row = 1; ; row++)
        {
            var rec = Next(parser, file, $"row {row}");
            if (rec is null) yield break;
            var location = $"{file}:row {row} (line {rec.Value.Line})";
            if (rec.Value.Fields.Length != header.Fields.Length)
                throw new DataContractException($"{location}: has {rec.Value.Fields.Length} fields, the header has {header.Fields.Length}.");
            yield return new CsvRecord(location, columns, rec.Value.Fields);
        }
    }

    static (string[] Fields, long Line)? Next(TextFieldParser parser, string file, string what)
    {
        // LineNumber is the line the next read starts on (-1 at end); blank lines are skipped by the parser.
        var line = parser.LineNumber;
        try
        {
            var fields = parser.ReadFields();
            return fields is null ? null : (fields, line);
        }
        catch (MalformedLineException e)
        {
            throw new DataContractException($"{file}:line {e.LineNumber}: malformed CSV {what} (unbalanced quotes?).");
        }
    }

    sealed class CsvRecord(string location, Dictionary<string, int> columns, string[] fields) : InputRecord(location)
    {
        public override IReadOnlyList<string> Columns => columns.OrderBy(c => c.Value).Select(c => c.Key).ToList();

        public override string? Get(string field, bool numberAllowed) => columns.TryGetValue(field, out var i)
            ? fields[i]
            : throw Error($"missing field '{field}' (columns: {string.Join(", ", columns.Keys)}).");
    }
}
