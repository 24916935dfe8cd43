using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Report;

public class ArmLabelTests
{
    [Theory]
    [InlineData("probe SFT (6 epochs on demonstrations)", "probe SFT")]
    [InlineData("retrained (6 epochs): easy originals + accepted samples of hard prompts", "retrained")]
    [InlineData("rft-hard: RFT on hard prompts only", "rft-hard")]
    [InlineData("sft", "sft")]
    [InlineData("(unnamed)", "(unnamed)")]   // nothing before the parenthesis: keep the whole name rather than an empty label
    public void Plot_labels_are_the_arm_name_before_its_description(string name, string label) =>
        Assert.Equal(label, ReportPlots.ArmLabel(name));
}
