namespace OnnxRftPipeline.Cli.Tests.Cycle;

/// <summary>
/// Cycles draw Spectre.Console live progress displays, and the console allows one at a time per process,
/// so test classes that run cycles share this collection and run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CycleCollection
{
    public const string Name = "cycles";
}
