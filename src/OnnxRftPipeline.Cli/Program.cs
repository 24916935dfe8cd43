using System.CommandLine;
using OnnxRftPipeline.Cli;
using OnnxRftPipeline.Cli.Verbs;

var root = new RootCommand("rft: probe SFT, select hard examples, sample and verify only those, retrain.");
foreach (var verb in VerbCatalog.All()) root.Add(verb);
return await CliHost.RunAsync(root, args);
