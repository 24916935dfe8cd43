using System.Numerics;
using OnnxRftPipeline.Cli.Report;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Cli.Tests.Report;

public class PairedComparisonTests
{
    /// <summary>The two-sided sign test from exact integer binomial coefficients (one rounding, in the final division).</summary>
    static double ExactSignTest(int x, int y)
    {
        int n = x + y, k = Math.Min(x, y);
        if (n == 0) return 1;
        BigInteger c = 1, tail = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) c = c * (n - i + 1) / i;
            tail += c;
        }
        return Math.Min(1.0, n <= 1000
            ? (double)(2 * tail) / (double)BigInteger.Pow(2, n)
            : Math.Exp(BigInteger.Log(2 * tail) - n * Math.Log(2)));
    }

    [Fact]
    public void The_sign_test_matches_exact_binomial_sums()
    {
        Assert.Equal(2.0 / 1024, PairedComparison.SignTest(10, 0), 12);
        Assert.Equal(10.0 / 16, PairedComparison.SignTest(3, 1), 12);    // 2 · (1 + 4) / 16
        Assert.Equal(1.0, PairedComparison.SignTest(5, 5));
        Assert.Equal(1.0, PairedComparison.SignTest(0, 0));
        for (int x = 0; x <= 40; x++)
            for (int y = 0; y <= 40; y++)
            {
                double exact = ExactSignTest(x, y);
                Assert.Equal(exact, PairedComparison.SignTest(x, y), 1e-12 * exact);
                Assert.Equal(PairedComparison.SignTest(x, y), PairedComparison.SignTest(y, x));
            }
        // Thousands of disagreements: no overflow, no underflow to 0 or NaN.
        double p = PairedComparison.SignTest(2000, 1000);
        Assert.InRange(p, double.Epsilon, 1e-60);
        Assert.Equal(ExactSignTest(2000, 1000), p, p * 1e-6);
    }

    static EvalResultRow Row(string id, bool correct, int k = 1) => new() { ExampleId = id, Model = "m", K = k, Correct = correct, Prediction = "" };

    [Fact]
    public void Prompts_are_paired_by_id_and_only_greedy_rows_count()
    {
        var probe = new[] { Row("a", true), Row("b", false), Row("c", false), Row("d", true), Row("e", false) };
        // Another order, plus pass@k rows that must not count.
        var arm = new[] { Row("e", true), Row("d", false), Row("c", false), Row("b", true), Row("a", true), Row("c", true, k: 8), Row("d", true, k: 8) };
        var p = PairedComparison.Compare(probe, arm, "probe", "final");
        Assert.Equal((5, 2, 1), (p.Items, p.Fixed, p.Broken));   // fixed b and e, broke d
        Assert.Equal(1.0, p.PValue);                              // 2 · (1 + 3) / 8, capped
    }

    [Fact]
    public void Different_prompt_sets_or_a_repeated_prompt_are_refused_naming_it()
    {
        var probe = new[] { Row("a", true), Row("b", false) };
        var e = Assert.Throws<InvalidDataException>(() => PairedComparison.Compare(probe, [Row("a", true)], "eval/probe", "eval/final"));
        Assert.Contains("eval/final", e.Message);
        Assert.Contains("'b'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PairedComparison.Compare(probe, [Row("a", true), Row("b", true), Row("z", true)], "eval/probe", "eval/final"));
        Assert.Contains("3 prompts", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PairedComparison.Compare(probe, [Row("a", true), Row("a", false)], "eval/probe", "eval/final"));
        Assert.Contains("two greedy rows for example 'a'", e.Message);
    }
}
