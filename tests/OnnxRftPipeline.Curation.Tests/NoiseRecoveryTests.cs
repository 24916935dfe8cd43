using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Selection;
using OnnxRftPipeline.Curation.NextStage;

namespace OnnxRftPipeline.Curation.Tests;

public class NoiseRecoveryTests
{
    static SftExample Ex(string id, string metadata) => new() { Id = id, Prompt = "p", Response = "r", Task = "t", Source = "s", Metadata = metadata };
    static HardnessRow H(string id, bool hard) => new() { ExampleId = id, IsHard = hard, Method = "quantile", Reason = "" };

    [Fact]
    public void Counts_noisy_demonstrations_among_the_hard_ones()
    {
        var examples = new[]
        {
            Ex("a", """{"noisy":true}"""), Ex("b", """{"noisy":true}"""), Ex("c", """{"noisy":false}"""),
            Ex("d", """{"noisy":false}"""), Ex("e", """{"noisy":false}"""),
        };
        var hardness = new[] { H("a", true), H("b", false), H("c", true), H("d", false), H("e", false) };
        var r = NoiseRecovery.Measure(examples, hardness)!;
        Assert.Equal(new NoiseRecovery(Examples: 5, Noisy: 2, Hard: 2, NoisyAndHard: 1), r);
        Assert.Equal(0.5, r.Recall);
        Assert.Equal(0.5, r.Precision);
        Assert.Equal(0.4, r.ChancePrecision);
    }

    [Fact]
    public void Data_without_noise_marks_has_nothing_to_measure()
    {
        var examples = new[] { Ex("a", "{}"), Ex("b", "free text, not JSON"), Ex("c", """{"noisy":"maybe"}""") };
        Assert.Null(NoiseRecovery.Measure(examples, [H("a", true), H("b", false), H("c", true)]));
    }

    [Fact]
    public void Examples_without_a_hardness_row_are_left_out()
    {
        var r = NoiseRecovery.Measure([Ex("a", """{"noisy":true}"""), Ex("z", """{"noisy":true}""")], [H("a", true)])!;
        Assert.Equal(1, r.Examples);
        Assert.Equal(1, r.Noisy);
        Assert.Equal(1.0, r.Recall);
    }
}
