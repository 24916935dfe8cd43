using System.Globalization;

namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>
/// Count one letter in a word over a-f, keeping a running count: one line per letter, the letter then the
/// count so far. Example: prompt <c>Q: count b in abcbdb\n</c>, response <c>a0\nb1\nc1\nb2\nd2\nb3\n#### 3</c>.
/// Difficulty = word length: easy 4–6, medium 7–9, hard 10–12.
/// </summary>
public sealed class CountTask : SynthTask
{
    const string Letters = "abcdef";

    public override string Name => "count";
    public override string Description => "count a letter in a word with a running count per letter";
    public override string DefaultVerifier => "numeric";

    protected override SynthProblem Make(Random rng, Difficulty difficulty)
    {
        int length = difficulty switch { Difficulty.Easy => rng.Next(4, 7), Difficulty.Medium => rng.Next(7, 10), _ => rng.Next(10, 13) };
        var word = new string(Enumerable.Range(0, length).Select(_ => Letters[rng.Next(Letters.Length)]).ToArray());
        // Usually a letter of the word, sometimes any letter so that 0 is a possible answer.
        char target = rng.Next(5) == 0 ? Letters[rng.Next(Letters.Length)] : word[rng.Next(length)];
        return new SynthProblem($"Q: count {target} in {word}\n", Solve(target, word));
    }

    public static WorkedSolution Solve(char target, string word)
    {
        int count = 0;
        var steps = new List<string>(word.Length);
        foreach (var c in word)
        {
            if (c == target) count++;
            steps.Add(c + count.ToString(CultureInfo.InvariantCulture));
        }
        return new WorkedSolution(steps, count.ToString(CultureInfo.InvariantCulture));
    }

    protected internal override string WrongAnswer(Random rng, string answer) => WrongInteger(rng, answer);
}
