using System.Globalization;

namespace OnnxRftPipeline.Verifiers;

/// <summary>Typed access to one spec node's options; every read marks a key as known so leftovers are reported.</summary>
internal sealed class SpecOptions
{
    readonly VerifierSpec node;
    readonly HashSet<string> known = new(StringComparer.Ordinal);

    public SpecOptions(VerifierSpec node, string[] allowed, string[]? repeatable = null)
    {
        this.node = node;
        foreach (var k in allowed) known.Add(k);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in node.Options)
        {
            if (!known.Contains(key))
                throw Bad(allowed.Length == 0
                    ? $"'{node.Name}' takes no options, got '{key}'"
                    : $"unknown option '{key}' for '{node.Name}' (known: {string.Join(", ", allowed)})");
            if (!seen.Add(key) && (repeatable is null || !repeatable.Contains(key)))
                throw Bad($"option '{key}' of '{node.Name}' is given more than once");
        }
    }

    public string Name => node.Name;

    public VerifierSpecException Bad(string what) =>
        new($"Bad verifier spec \"{node}\": {what}.");

    public string? String(string key) =>
        node.Options.Where(o => o.Key == key).Select(o => o.Value).Cast<string?>().FirstOrDefault();

    public IReadOnlyList<string> All(string key) =>
        node.Options.Where(o => o.Key == key).Select(o => o.Value).ToArray();

    public string Required(string key) =>
        String(key) is { Length: > 0 } v ? v : throw Bad($"'{node.Name}' needs option '{key}=...'");

    public double? Double(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var s = String(key);
        if (s is null) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw Bad($"option '{key}' of '{node.Name}' must be a number, got '{s}'");
        if (v < min || v > max)
            throw Bad($"option '{key}' of '{node.Name}' must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], got '{s}'");
        return v;
    }

    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = String(key);
        if (s is null) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw Bad($"option '{key}' of '{node.Name}' must be a whole number, got '{s}'");
        if (v < min || v > max)
            throw Bad($"option '{key}' of '{node.Name}' must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], got '{s}'");
        return v;
    }

    public bool? Bool(string key)
    {
        var s = String(key);
        return s switch
        {
            null => null,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw Bad($"option '{key}' of '{node.Name}' must be true or false, got '{s}'"),
        };
    }

    public string Choice(string key, string fallback, params string[] choices)
    {
        var s = String(key);
        if (s is null) return fallback;
        return choices.Contains(s) ? s
            : throw Bad($"option '{key}' of '{node.Name}' must be one of {string.Join(", ", choices)}, got '{s}'");
    }
}
