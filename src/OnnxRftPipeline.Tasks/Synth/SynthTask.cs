using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>A generated dataset: train (possibly noisy) and eval (always clean), with no prompt in both.</summary>
public sealed record SynthDataset(IReadOnlyList<SftExample> Train, IReadOnlyList<SftExample> Eval);

/// <summary>A bundled task whose items have a verifiable final answer.</summary>
public interface ISynthTask
{
    string Name { get; }
    string Description { get; }
    /// <summary>A spec for <c>OnnxRftPipeline.Verifiers.VerifierFactory</c> that accepts exactly the right answers.</summary>
    string DefaultVerifier { get; }
    SynthDataset Generate(int n, int evalN, int seed, SynthOptions options, WeightMix<Difficulty>? trainDifficulty = null);
}

/// <summary>
/// Shared generation: exact difficulty counts, unique prompts across both splits, exact noisy count in
/// train, stable ids (<c>task-train-000123</c>). Eval is drawn first from Random(seed) so it does not
/// depend on n; train uses an independent stream and skips any prompt eval already has.
/// </summary>
public abstract class SynthTask : ISynthTask
{
    public const string Source = "synth";
    const int MaxAttemptsPerItem = 2000;

    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract string DefaultVerifier { get; }

    /// <summary>One random item of the given difficulty; its prompt ends with '\n'.</summary>
    protected abstract SynthProblem Make(Random rng, Difficulty difficulty);

    /// <summary>A final answer different from <paramref name="answer"/> that the default verifier rejects.</summary>
    protected internal abstract string WrongAnswer(Random rng, string answer);

    /// <param name="trainDifficulty">A difficulty mix for the train split only (a training recipe); the eval split
    /// keeps <paramref name="options"/>' mix, so it is the same split whatever the train mix.</param>
    public SynthDataset Generate(int n, int evalN, int seed, SynthOptions options, WeightMix<Difficulty>? trainDifficulty = null)
    {
        if (n < 0) throw new SynthException($"{Name}: --n must be ≥ 0, got {n}.");
        if (evalN < 0) throw new SynthException($"{Name}: --eval-n must be ≥ 0, got {evalN}.");
        options.Validate();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var eval = MakeSplit("eval", evalN, new Random(seed), options, noisy: 0, seen);
        var train = MakeSplit("train", n, new Random(SynthRandom.DeriveSeed(seed, 1)), options with { Difficulty = trainDifficulty ?? options.Difficulty },
            noisy: (int)Math.Round(options.Noise * n, MidpointRounding.AwayFromZero), seen);
        return new SynthDataset(train, eval);
    }

    List<SftExample> MakeSplit(string split, int count, Random rng, SynthOptions options, int noisy, HashSet<string> seen)
    {
        var difficulties = options.Difficulty.Apportion(count);
        SynthRandom.Shuffle(rng, difficulties);
        // Which rows are noisy and with which kind: exact counts, positions shuffled.
        var kinds = new NoiseKind?[count];
        var noisyKinds = options.NoiseKinds.Apportion(noisy);
        var positions = Enumerable.Range(0, count).ToArray();
        SynthRandom.Shuffle(rng, positions);
        SynthRandom.Shuffle(rng, noisyKinds);
        for (int i = 0; i < noisy; i++) kinds[positions[i]] = noisyKinds[i];

        var rows = new List<SftExample>(count);
        for (int i = 0; i < count; i++)
        {
            var problem = Unique(rng, difficulties[i], seen);
            var clean = problem.Solution.Render();
            string response = clean;
            NoiseKind? applied = null;
            if (kinds[i] is { } kind)
                (response, applied) = NoiseInjector.Apply(kind, problem.Solution, rng, WrongAnswer);
            rows.Add(new SftExample
            {
                Id = $"{Name}-{split}-{i:D6}",
                Prompt = problem.Prompt,
                Response = response,
                Answer = problem.Solution.Answer,
                Task = Name,
                Source = Source,
                Metadata = MetadataJson(split, difficulties[i], applied, applied is null ? null : clean),
            });
        }
        return rows;
    }

    SynthProblem Unique(Random rng, Difficulty d, HashSet<string> seen)
    {
        for (int attempt = 0; attempt < MaxAttemptsPerItem; attempt++)
        {
            var p = Make(rng, d);
            if (seen.Add(p.Prompt)) return p;
        }
        throw new SynthException(
            $"{Name}: could not find a new {d.ToString().ToLowerInvariant()} prompt after {MaxAttemptsPerItem} tries " +
            $"({seen.Count} distinct prompts so far); lower --n/--eval-n or move --difficulty toward harder items.");
    }

    static string MetadataJson(string split, Difficulty d, NoiseKind? kind, string? cleanResponse)
    {
        using var ms = new MemoryStream();
        // Relaxed escaping keeps "+" and "<" readable in clean_response; the output is still valid JSON.
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("difficulty", d.ToString().ToLowerInvariant());
            w.WriteBoolean("noisy", kind is not null);
            w.WriteString("noise_kind", kind?.ToString().ToLowerInvariant() ?? "none");
            // The clean demonstration of a noisy row, so later stages can measure recovery.
            if (cleanResponse is not null) w.WriteString("clean_response", cleanResponse);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>A wrong integer answer: the right one moved by 1–9 (kept non-negative when the right one is).</summary>
    protected static string WrongInteger(Random rng, string answer)
    {
        var v = long.Parse(answer, System.Globalization.CultureInfo.InvariantCulture);
        long delta = rng.Next(1, 10);
        if (rng.Next(2) == 0 && v - delta >= 0) delta = -delta;
        return (v + delta).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
