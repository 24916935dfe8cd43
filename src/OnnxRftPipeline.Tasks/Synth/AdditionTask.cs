using System.Globalization;

namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>
/// Multi-digit addition worked column by column from the least significant digit, with the carry in written
/// explicitly on every line (column-wise steps with explicit carries are learnable by small transformers), and each
/// line ending with the answer's digits so far. Example: prompt <c>Q: 347+85\n</c>, response
/// <c>7+5+0=12 2\n4+8+1=13 32\n3+0+1=04 432\n#### 432</c>; a carry out of the last column gets a line of its own
/// (<c>Q: 6+9</c> → <c>6+9+0=15 5\n0+0+1=01 15\n#### 15</c>).
/// Why this shape (scripts/bench train-quality, small preset, 10 minutes; the wrong answers it dumps):
/// - The sum always has two digits, so the column part of every line has one width and the prompt digit a line reads
///   sits at a distance that does not depend on how many earlier sums carried (with one-digit sums written short,
///   most wrong answers read an operand digit one place off).
/// - The running answer makes the final line a copy of the line above instead of a read-back of unit digits from
///   every line in reverse, the error a third of the wrong answers made; the carry line makes it a copy in every case.
///   79.8 % exact match without the running answer, 95.0 % with it and the carry line.
/// Difficulty = digits of the longer operand: easy 1–2, medium 3, hard 4–5.
/// </summary>
public sealed class AdditionTask : SynthTask
{
    public override string Name => "addition";
    public override string Description => "multi-digit addition, column by column with explicit carries";
    public override string DefaultVerifier => "numeric";

    protected override SynthProblem Make(Random rng, Difficulty difficulty)
    {
        int longer = difficulty switch { Difficulty.Easy => rng.Next(1, 3), Difficulty.Medium => 3, _ => rng.Next(4, 6) };
        int shorter = rng.Next(1, longer + 1);
        long a = Number(rng, longer), b = Number(rng, shorter);
        if (rng.Next(2) == 0) (a, b) = (b, a);
        return new SynthProblem($"Q: {a}+{b}\n", Solve(a, b));
    }

    public static WorkedSolution Solve(long a, long b)
    {
        var steps = new List<string>();
        int carry = 0;
        var partial = "";
        for (long x = a, y = b; x > 0 || y > 0 || carry > 0 || steps.Count == 0; x /= 10, y /= 10)
        {
            int da = (int)(x % 10), db = (int)(y % 10), sum = da + db + carry;
            partial = (sum % 10).ToString(CultureInfo.InvariantCulture) + partial;
            steps.Add($"{da}+{db}+{carry}={sum:D2} {partial}");
            carry = sum / 10;
        }
        return new WorkedSolution(steps, (a + b).ToString(CultureInfo.InvariantCulture));
    }

    static long Number(Random rng, int digits)
    {
        if (digits == 1) return rng.Next(0, 10);
        long v = rng.Next(1, 10);
        for (int i = 1; i < digits; i++) v = v * 10 + rng.Next(0, 10);
        return v;
    }

    protected internal override string WrongAnswer(Random rng, string answer) => WrongInteger(rng, answer);
}
