using System.Globalization;

namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>
/// Expressions over single-digit numbers with + - * and parentheses, evaluated one operation per line
/// in the order a person would (innermost/leftmost first, * before + and -). Example: prompt
/// <c>Q: (3+4)*2-5\n</c>, response <c>=7*2-5\n=14-5\n=9\n#### 9</c>. Every intermediate value stays in
/// [0, 999] so '-' is never unary. Difficulty = operations: easy 2, medium 3, hard 4.
/// </summary>
public sealed class ArithmeticTask : SynthTask
{
    public override string Name => "arithmetic";
    public override string Description => "multi-step + - * expressions with parentheses, one operation per line";
    public override string DefaultVerifier => "numeric";

    const long MaxValue = 999;

    protected override SynthProblem Make(Random rng, Difficulty difficulty)
    {
        int ops = difficulty switch { Difficulty.Easy => 2, Difficulty.Medium => 3, _ => 4 };
        while (true)
        {
            var tree = Build(rng, ops);
            var solution = TrySolve(tree);
            if (solution is not null) return new SynthProblem($"Q: {Render(tree)}\n", solution);
        }
    }

    abstract record Node;
    sealed record Leaf(long Value) : Node;
    sealed record Op(char Symbol, Node Left, Node Right) : Node;

    static Node Build(Random rng, int ops)
    {
        if (ops == 0) return new Leaf(rng.Next(1, 10));
        char symbol = "+-*"[rng.Next(3)];
        int left = rng.Next(0, ops);
        return new Op(symbol, Build(rng, left), Build(rng, ops - 1 - left));
    }

    static int Precedence(char op) => op == '*' ? 2 : 1;

    // Parentheses exactly where the tree differs from left-to-right precedence parsing, so the text
    // and the tree always mean the same thing (a right child of equal precedence is bracketed).
    static string Render(Node n) => n switch
    {
        Leaf l => l.Value.ToString(CultureInfo.InvariantCulture),
        Op o => Wrap(o.Left, Precedence(o.Symbol), right: false) + o.Symbol + Wrap(o.Right, Precedence(o.Symbol), right: true),
        _ => throw new InvalidOperationException(),
    };

    static string Wrap(Node child, int parentPrec, bool right)
    {
        var text = Render(child);
        if (child is Op c && (Precedence(c.Symbol) < parentPrec || (right && Precedence(c.Symbol) == parentPrec)))
            return "(" + text + ")";
        return text;
    }

    static WorkedSolution? TrySolve(Node tree)
    {
        var steps = new List<string>();
        while (tree is Op)
        {
            var (next, ok) = ReduceFirst(tree);
            if (!ok) return null;
            tree = next;
            steps.Add("=" + Render(tree));
        }
        return new WorkedSolution(steps, ((Leaf)tree).Value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Evaluates the leftmost operation whose operands are both numbers; false when a value leaves [0, 999].</summary>
    static (Node, bool) ReduceFirst(Node n)
    {
        if (n is not Op o) return (n, true);
        if (o.Left is Leaf a && o.Right is Leaf b)
        {
            long v = o.Symbol switch { '+' => a.Value + b.Value, '-' => a.Value - b.Value, _ => a.Value * b.Value };
            return (new Leaf(v), v is >= 0 and <= MaxValue);
        }
        if (o.Left is Op)
        {
            var (l, ok) = ReduceFirst(o.Left);
            return (o with { Left = l }, ok);
        }
        var (r, ok2) = ReduceFirst(o.Right);
        return (o with { Right = r }, ok2);
    }

    protected internal override string WrongAnswer(Random rng, string answer) => WrongInteger(rng, answer);
}
