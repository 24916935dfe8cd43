using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OnnxRftPipeline.Tasks.Synth;

public enum Difficulty { Easy, Medium, Hard }

/// <summary>How a noisy train demonstration is made hard to fit.</summary>
public enum NoiseKind
{
    /// <summary>Some or all worked steps are dropped; the final answer stays right.</summary>
    Skip,
    /// <summary>The steps are shuffled; the final answer stays right.</summary>
    Reorder,
    /// <summary>Odd formatting (one line, spaced operators, "Step k:" prefixes); the final answer stays right.</summary>
    Format,
    /// <summary>Correct steps, wrong final answer.</summary>
    Wrong,
}

/// <summary>A user-facing mistake in synth options, task name or output folder; the CLI prints it and exits non-zero.</summary>
public sealed class SynthException(string message) : Exception(message);

/// <summary>Named non-negative weights, normalised; parsed from "a", "a,b" (equal weights) or "a=2,b=1".</summary>
public sealed record WeightMix<T>(IReadOnlyList<(T Key, double Weight)> Items) where T : struct, Enum
{
    public static WeightMix<T> Parse(string text, string what)
    {
        var items = new List<(T, double)>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = raw.IndexOf('=');
            var name = eq < 0 ? raw : raw[..eq].Trim();
            if (!Enum.TryParse<T>(name, ignoreCase: true, out var key) || !Enum.IsDefined(key) || int.TryParse(name, out _))
                throw new SynthException($"{what}: unknown name '{name}' (known: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}).");
            double w = 1;
            if (eq >= 0 && (!double.TryParse(raw[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out w) || !double.IsFinite(w) || w < 0))
                throw new SynthException($"{what}: weight of '{name}' must be a non-negative number, got '{raw[(eq + 1)..]}'.");
            if (items.Any(i => EqualityComparer<T>.Default.Equals(i.Item1, key)))
                throw new SynthException($"{what}: '{name}' is given more than once.");
            items.Add((key, w));
        }
        if (items.Count == 0 || items.Sum(i => i.Item2) <= 0)
            throw new SynthException($"{what}: give at least one name with a positive weight, e.g. '{Enum.GetNames<T>()[0].ToLowerInvariant()}'.");
        return Normalised(items);
    }

    public static WeightMix<T> Normalised(IEnumerable<(T, double)> items)
    {
        var list = items.OrderBy(i => Convert.ToInt32(i.Item1)).ToList();
        var total = list.Sum(i => i.Item2);
        return new(list.Select(i => (i.Item1, i.Item2 / total)).ToArray());
    }

    /// <summary>Exactly <paramref name="count"/> keys in proportion to the weights (largest remainder, ties to the earlier key).</summary>
    public List<T> Apportion(int count)
    {
        var quotas = Items.Select(i => i.Weight * count).ToArray();
        var whole = quotas.Select(q => (int)Math.Floor(q)).ToArray();
        var left = count - whole.Sum();
        foreach (var idx in Enumerable.Range(0, quotas.Length).OrderByDescending(i => quotas[i] - whole[i]).ThenBy(i => i).Take(left))
            whole[idx]++;
        var result = new List<T>(count);
        for (int i = 0; i < Items.Count; i++) result.AddRange(Enumerable.Repeat(Items[i].Key, whole[i]));
        return result;
    }

    public override string ToString() => string.Join(",",
        Items.Select(i => i.Key.ToString().ToLowerInvariant() + "=" + i.Weight.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>
/// Knobs of a bundled task. <see cref="Difficulty"/>: the mix of easy/medium/hard items (exact counts by
/// largest remainder). <see cref="Noise"/>: the fraction of TRAIN demonstrations written to be hard to fit;
/// <see cref="NoiseKinds"/>: how those are split among the <see cref="NoiseKind"/>s. Eval is never noisy.
/// </summary>
public sealed record SynthOptions(WeightMix<Difficulty> Difficulty, double Noise, WeightMix<NoiseKind> NoiseKinds)
{
    public static readonly WeightMix<Difficulty> DefaultDifficulty =
        WeightMix<Difficulty>.Normalised([(Synth.Difficulty.Easy, 0.3), (Synth.Difficulty.Medium, 0.4), (Synth.Difficulty.Hard, 0.3)]);
    public static readonly WeightMix<NoiseKind> AllNoiseKinds =
        WeightMix<NoiseKind>.Normalised(Enum.GetValues<NoiseKind>().Select(k => (k, 1.0)));

    public static SynthOptions Default { get; } = new(DefaultDifficulty, 0, AllNoiseKinds);

    /// <summary>From CLI text: <c>--noise 0.2 --difficulty easy=1,hard=1 --noise-kinds skip,wrong</c>; nulls take defaults.</summary>
    public static SynthOptions FromCli(double noise = 0, string? difficulty = null, string? noiseKinds = null)
    {
        var o = new SynthOptions(
            difficulty is null ? DefaultDifficulty : WeightMix<Difficulty>.Parse(difficulty, "--difficulty"),
            noise,
            noiseKinds is null ? AllNoiseKinds : WeightMix<NoiseKind>.Parse(noiseKinds, "--noise-kinds"));
        o.Validate();
        return o;
    }

    public void Validate()
    {
        if (!double.IsFinite(Noise) || Noise < 0 || Noise > 1)
            throw new SynthException($"--noise must be a fraction in [0, 1], got {Noise.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Stable JSON recorded in the Parquet metadata.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("difficulty", Difficulty.ToString());
            w.WriteNumber("noise", Noise);
            w.WriteString("noise_kinds", NoiseKinds.ToString());
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
