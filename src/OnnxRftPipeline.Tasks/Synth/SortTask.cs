namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>
/// Sort distinct lowercase letters. Each step moves the smallest remaining letter to the sorted prefix and
/// shows the rest in their original order (<c>prefix|rest</c>), so the state is explicit on every line.
/// Example: prompt <c>Q: sort dbca\n</c>, response <c>a|dbc\nab|dc\nabc|d\n#### abcd</c>.
/// Difficulty = letters: easy 3–4, medium 5–6, hard 7–8.
/// </summary>
public sealed class SortTask : SynthTask
{
    public override string Name => "sort";
    public override string Description => "sort distinct letters, moving the smallest remaining letter each step";
    public override string DefaultVerifier => "exact";

    protected override SynthProblem Make(Random rng, Difficulty difficulty)
    {
        int length = difficulty switch { Difficulty.Easy => rng.Next(3, 5), Difficulty.Medium => rng.Next(5, 7), _ => rng.Next(7, 9) };
        var alphabet = "abcdefghijklmnopqrstuvwxyz".ToCharArray();
        // Partial Fisher–Yates: the first `length` letters are a uniform distinct sample in random order.
        for (int i = 0; i < length; i++)
        {
            int j = rng.Next(i, alphabet.Length);
            (alphabet[i], alphabet[j]) = (alphabet[j], alphabet[i]);
        }
        var word = new string(alphabet, 0, length);
        return new SynthProblem($"Q: sort {word}\n", Solve(word));
    }

    public static WorkedSolution Solve(string word)
    {
        var rest = word.ToList();
        var prefix = "";
        var steps = new List<string>();
        while (rest.Count > 1)
        {
            var min = rest.Min();
            rest.Remove(min);
            prefix += min;
            steps.Add(prefix + "|" + new string(rest.ToArray()));
        }
        return new WorkedSolution(steps, new string(word.Order().ToArray()));
    }

    /// <summary>Swaps two adjacent letters; the letters are distinct, so the result is always wrong.</summary>
    protected internal override string WrongAnswer(Random rng, string answer)
    {
        var c = answer.ToCharArray();
        int i = rng.Next(c.Length - 1);
        (c[i], c[i + 1]) = (c[i + 1], c[i]);
        return new string(c);
    }
}
