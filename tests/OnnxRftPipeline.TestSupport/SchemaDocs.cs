using System.Text.Json;

namespace OnnxRftPipeline.TestSupport;

/// <summary>A data-schemas/*.schema.json file, parsed.</summary>
public sealed record SchemaDoc(string Artifact, string RowClass, string File, IReadOnlyList<SchemaDocColumn> Columns)
{
    public static string Folder { get; } = FindFolder();

    public static IReadOnlyList<SchemaDoc> All() =>
        Directory.GetFiles(Folder, "*.schema.json").Order(StringComparer.Ordinal).Select(Load).ToArray();

    public static SchemaDoc For(string artifact) => Load(Path.Combine(Folder, artifact + ".schema.json"));

    static SchemaDoc Load(string file)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(file));
        var root = doc.RootElement;
        var cols = root.GetProperty("columns").EnumerateArray().Select(c => new SchemaDocColumn(
            c.GetProperty("name").GetString()!,
            c.GetProperty("type").GetString()!,
            c.GetProperty("physical").GetString()!,
            c.GetProperty("logical").ValueKind == JsonValueKind.Null ? null : c.GetProperty("logical").GetString(),
            c.GetProperty("nullable").GetBoolean(),
            c.GetProperty("meaning").GetString()!)).ToArray();
        return new SchemaDoc(root.GetProperty("artifact").GetString()!, root.GetProperty("row_class").GetString()!, file, cols);
    }

    // The tests run from bin/; the docs live at the repository root.
    static string FindFolder()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "data-schemas");
            if (Directory.Exists(candidate) && System.IO.File.Exists(Path.Combine(d.FullName, "OnnxRftPipeline.sln"))) return candidate;
        }
        throw new DirectoryNotFoundException("data-schemas/ not found above " + AppContext.BaseDirectory);
    }
}

public sealed record SchemaDocColumn(string Name, string Type, string Physical, string? Logical, bool Nullable, string Meaning);
