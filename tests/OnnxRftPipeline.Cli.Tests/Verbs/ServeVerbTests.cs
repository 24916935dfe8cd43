using System.CommandLine;
using OnnxRftPipeline.Cli.Verbs;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>`rft serve` refuses unsafe or impossible settings before binding anything.</summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public class ServeVerbTests
{
    static Task<int> Rft(params string[] args)
    {
        var root = new RootCommand("rft");
        foreach (var v in VerbCatalog.All()) root.Add(v);
        return CliHost.RunAsync(root, args);
    }

    [Fact]
    public async Task A_non_loopback_bind_without_an_api_key_exits_2()
    {
        var models = Directory.CreateTempSubdirectory("rft-serve-").FullName;
        Assert.Equal(CliHost.BadInput, await Rft("serve", "--model", models, "--host", "0.0.0.0", "--port", "0"));
    }

    [Fact]
    public async Task An_api_key_variable_that_is_not_set_exits_2()
    {
        var models = Directory.CreateTempSubdirectory("rft-serve-").FullName;
        Assert.Equal(CliHost.BadInput, await Rft("serve", "--model", models, "--api-key-env", "RFT_TEST_KEY_" + Guid.NewGuid().ToString("N"), "--port", "0"));
    }

    [Fact]
    public async Task A_negative_shutdown_grace_exits_2_naming_the_option()
    {
        var models = Directory.CreateTempSubdirectory("rft-serve-").FullName;
        var (code, error) = await RftProcess.RunAsync("serve", "--model", models, "--shutdown-grace", "-1", "--port", "0");
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains("--shutdown-grace", error);
    }

    [Fact]
    public async Task A_missing_model_folder_exits_2()
    {
        Assert.Equal(CliHost.BadInput, await Rft("serve", "--model", Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N")), "--port", "0"));
    }
}
