namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>A task item's clean worked solution: one line per step, then <c>#### answer</c>.</summary>
public sealed record WorkedSolution(IReadOnlyList<string> Steps, string Answer)
{
    public string Render() => Render(Steps, Answer);

    public static string Render(IEnumerable<string> steps, string answer, string separator = "\n")
    {
        var body = string.Join(separator, steps);
        return (body.Length > 0 ? body + "\n" : "") + "#### " + answer;
    }
}

/// <summary>A generated item before it becomes an SftExample.</summary>
public sealed record SynthProblem(string Prompt, WorkedSolution Solution);

/// <summary>Writes a train demonstration in a way that is hard to fit (see <see cref="NoiseKind"/>).</summary>
public static class NoiseInjector
{
    /// <summary>The noisy response and the kind actually applied: Reorder needs two different steps and falls back to Format.</summary>
    public static (string Response, NoiseKind Kind) Apply(NoiseKind kind, WorkedSolution s, Random rng, Func<Random, string, string> wrongAnswer)
    {
        switch (kind)
        {
            case NoiseKind.Skip:
            {
                // Drop between one and all of the steps.
                var steps = s.Steps.ToList();
                int drop = rng.Next(1, steps.Count + 1);
                for (int i = 0; i < drop && steps.Count > 0; i++) steps.RemoveAt(rng.Next(steps.Count));
                return (WorkedSolution.Render(steps, s.Answer), NoiseKind.Skip);
            }
            case NoiseKind.Reorder when s.Steps.Distinct().Count() >= 2:
            {
                var steps = s.Steps.ToArray();
                do SynthRandom.Shuffle(rng, steps); while (steps.SequenceEqual(s.Steps));
                return (WorkedSolution.Render(steps, s.Answer), NoiseKind.Reorder);
            }
            case NoiseKind.Wrong:
                return (WorkedSolution.Render(s.Steps, wrongAnswer(rng, s.Answer)), NoiseKind.Wrong);
            default:
                return (Reformat(s, rng), NoiseKind.Format);
        }
    }

    static string Reformat(WorkedSolution s, Random rng)
    {
        var text = rng.Next(3) switch
        {
            0 => WorkedSolution.Render(s.Steps, s.Answer, separator: "; "),
            1 => WorkedSolution.Render(s.Steps.Select(SpaceOut), s.Answer),
            _ => StepPrefixed(s),
        };
        // Joining one step, or spacing a step without operators, changes nothing; prefixes always do.
        return text == s.Render() ? StepPrefixed(s) : text;
    }

    static string StepPrefixed(WorkedSolution s) =>
        WorkedSolution.Render(s.Steps.Select((t, i) => $"Step {i + 1}: {t}"), s.Answer);

    static string SpaceOut(string step) =>
        string.Concat(step.Select(c => c is '+' or '-' or '*' or '=' or '|' ? $" {c} " : c.ToString()));
}

/// <summary>
/// Seeded randomness for the generators. System.Random(seed) uses the same seeded algorithm in every
/// .NET version (the legacy subtractive generator; only the unseeded constructor changed in .NET 6),
/// so a seed reproduces a dataset across machines. Only Next(int, int) and Next(int) are used, and the
/// shuffle is written here rather than Random.Shuffle so its draw order is fixed by this code.
/// </summary>
public static class SynthRandom
{
    public static void Shuffle<T>(Random rng, IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A second, independent stream for the train split so the eval split depends only on the seed.</summary>
    public static int DeriveSeed(int seed, int stream) => unchecked(seed * -1640531535 + stream * 0x2545F491);
}
