using OnnxRftPipeline.Cli.Cycle;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>A cycle of a few seconds on the tiny preset: 24 training examples (half selected hard), 6 eval prompts, K = 2.</summary>
static class TinyCycle
{
    public static readonly CycleConfig Config = new()
    {
        Preset = "tiny", N = 24, EvalN = 6, ProbeEpochs = 1, TrainEpochs = 1, K = 2, MaxNewTokens = 8, Threads = 1, SelectFraction = 0.5,
    };
}
