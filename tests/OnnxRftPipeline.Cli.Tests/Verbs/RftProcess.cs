using System.CommandLine;
using OnnxRftPipeline.Cli.Verbs;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>Runs the `rft` entry point in-process and returns its exit code and what it wrote to standard error.</summary>
static class RftProcess
{
    public static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand("rft");
        foreach (var v in VerbCatalog.All()) root.Add(v);
        var saved = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try { return (await CliHost.RunAsync(root, args), err.ToString()); }
        finally { Console.SetError(saved); }
    }
}
