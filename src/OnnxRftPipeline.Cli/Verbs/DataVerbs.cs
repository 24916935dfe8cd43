using System.CommandLine;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft data …`: get SFT data in (import, synth) and look at any artifact (inspect).</summary>
public static class DataVerbs
{
    public static Command Create()
    {
        var data = new Command("data", "Create, import and inspect datasets.");
        return data;
    }
}
