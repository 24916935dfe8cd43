using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Report;

public sealed class TrajectorySampleTests
{
    static List<LossTrajectory> Make(int easy, int hard) =>
        Enumerable.Range(0, easy).Select(i => new LossTrajectory($"e{i:D5}", [1.0], false))
            .Concat(Enumerable.Range(0, hard).Select(i => new LossTrajectory($"h{i:D5}", [2.0], true))).ToList();

    [Fact]
    public void Pick_Small_KeepsEveryExample()
    {
        var all = Make(100, 20);
        Assert.Equal(120, TrajectorySample.Pick(all).Count);
    }

    [Fact]
    public void Pick_Large_CapsLinesAndIsIndependentOfInputOrder()
    {
        var all = Make(3000, 2000);
        var shuffled = all.OrderBy(_ => Random.Shared.Next()).ToList();

        var a = TrajectorySample.Pick(all).Select(t => t.ExampleId).ToList();
        var b = TrajectorySample.Pick(shuffled).Select(t => t.ExampleId).ToList();

        Assert.Equal(300, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(a.Count, a.Distinct().Count());
        Assert.Equal(120, a.Count(id => id.StartsWith('h')));   // proportional: 40% of 300
    }

    [Fact]
    public void Pick_RareHard_KeepsAtLeastAQuarterOfTheLinesForHard()
    {
        var few = TrajectorySample.Pick(Make(5000, 30));
        Assert.Equal(300, few.Count);
        Assert.Equal(30, few.Count(t => t.IsHard));   // all of them: fewer than the 75-line floor

        var some = TrajectorySample.Pick(Make(5000, 200));
        Assert.Equal(75, some.Count(t => t.IsHard));
    }
}
