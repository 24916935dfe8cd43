namespace OnnxRftPipeline.Bench;

/// <summary>
/// "--name value" options for benchmarks. Hand-written (a few lines) so the bench project stays free
/// of the CLI's parser; unknown options are an error, not ignored.
/// </summary>
sealed class BenchArgs
{
    readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    public bool Help { get; }

    public BenchArgs(string[] args, params string[] known)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help") { Help = true; continue; }
            var name = args[i].TrimStart('-');
            if (!args[i].StartsWith("--") || !known.Contains(name)) throw new ArgumentException($"unknown option '{args[i]}' (known: {string.Join(", ", known.Select(k => "--" + k))})");
            if (i + 1 >= args.Length) throw new ArgumentException($"option --{name} needs a value");
            values[name] = args[++i];
        }
    }

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v)
        ? int.TryParse(v, out var x) && x > 0 ? x : throw new ArgumentException($"--{name} must be a positive integer, got '{v}'")
        : fallback;

    public double Double(string name, double fallback) => values.TryGetValue(name, out var v)
        ? double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var x) && x > 0 ? x : throw new ArgumentException($"--{name} must be a positive number, got '{v}'")
        : fallback;

    public string String(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
    public string? StringOrNull(string name) => values.TryGetValue(name, out var v) ? v : null;
}
