using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.Selection;

/// <summary>
/// How well a hardness selection finds the demonstrations known to be noisy. Bundled synthetic tasks mark each
/// training row's metadata with "noisy" (a demonstration written to be hard to fit); imported data has no such
/// mark, and then there is nothing to measure. This is the product's premise checked on data where the truth
/// is known: the examples a model cannot fit should be the bad demonstrations.
/// </summary>
public sealed record NoiseRecovery(int Examples, int Noisy, int Hard, int NoisyAndHard)
{
    /// <summary>Share of the noisy demonstrations that were selected as hard.</summary>
    public double Recall => Noisy == 0 ? 0 : (double)NoisyAndHard / Noisy;
    /// <summary>Share of the hard examples whose demonstration is noisy.</summary>
    public double Precision => Hard == 0 ? 0 : (double)NoisyAndHard / Hard;
    /// <summary>The precision a selection of the same size drawn at random would have on average.</summary>
    public double ChancePrecision => Examples == 0 ? 0 : (double)Noisy / Examples;

    /// <summary>Null when no example carries a boolean "noisy" in its metadata (data without known noise).</summary>
    public static NoiseRecovery? Measure(IEnumerable<SftExample> examples, IEnumerable<HardnessRow> hardness)
    {
        var hard = hardness.ToDictionary(h => h.ExampleId, h => h.IsHard, StringComparer.Ordinal);
        int n = 0, noisy = 0, hardCount = 0, both = 0;
        bool marked = false;
        foreach (var e in examples)
        {
            if (!hard.TryGetValue(e.Id, out var isHard)) continue;   // not scored (e.g. outside the trajectories)
            bool? mark = NoisyMark(e.Metadata);
            marked |= mark is not null;
            bool isNoisy = mark == true;
            n++;
            if (isNoisy) noisy++;
            if (isHard) hardCount++;
            if (isNoisy && isHard) both++;
        }
        return marked ? new NoiseRecovery(n, noisy, hardCount, both) : null;
    }

    static bool? NoisyMark(string metadata)
    {
        if (string.IsNullOrWhiteSpace(metadata)) return null;
        try
        {
            using var doc = JsonDocument.Parse(metadata);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("noisy", out var v)
                && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
        }
        catch (JsonException) { return null; }   // free-form metadata of imported data: no noise mark
    }
}
