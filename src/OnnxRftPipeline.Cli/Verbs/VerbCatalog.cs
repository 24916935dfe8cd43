using System.CommandLine;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>Every verb of `rft`, in the order of the pipeline.</summary>
public static class VerbCatalog
{
    public static IEnumerable<Command> All() =>
    [
        DataVerbs.Create(),
        TrainVerb.Create(),
        ExportVerb.Create(),
        SelectVerb.Create(),
        SampleVerb.Create(),
        BuildVerb.Create(),
        PairsVerb.Create(),
        EvalVerb.Create(),
        ServeVerb.Create(),
        CycleVerb.Create(),
        ExperimentVerb.Create(),
    ];
}
