namespace OnnxRftPipeline.Contracts.Runtime;

/// <summary>
/// The one spelling of each value of an option enum — on the command line, in the cycle config, in rft_model.json and in
/// lineage — and its one parser (case-insensitive, surrounding spaces ignored; anything else is an error naming the field
/// and listing the spellings). Each option declares its table once instead of a Name switch and a Parse loop of its own.
/// </summary>
public sealed class Spelling<T>(params (T Value, string Name)[] names) where T : struct, Enum
{
    public IEnumerable<string> Names => names.Select(n => n.Name);

    public string Name(T value)
    {
        foreach (var (v, n) in names) if (EqualityComparer<T>.Default.Equals(v, value)) return n;
        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }

    public T Parse(string? text, string field)
    {
        foreach (var (v, n) in names) if (string.Equals(n, text?.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        throw new ArgumentException($"{field} takes {string.Join(", ", Names)}, got '{text}'");
    }
}
