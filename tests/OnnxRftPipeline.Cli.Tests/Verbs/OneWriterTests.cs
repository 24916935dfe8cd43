using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// Every verb that owns an output folder for a whole run takes its lock (issue 18, item 2): with the lock held elsewhere, cycle,
/// experiment, train and sample exit 2 at once, naming the folder and the holder's pid, and write nothing there. (Two real processes
/// on one cycle folder are in Faults/FaultInjectionTests.)
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public sealed class OneWriterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rft-one-writer-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    async Task Refused(RunFolderLock held, params string[] args)
    {
        var (code, error) = await RftProcess.RunAsync(args);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains(held.Folder, error);
        Assert.Contains($"pid {Environment.ProcessId}", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal([held.LockFile, held.LockFile + ".owner"], Directory.GetFileSystemEntries(held.Folder).Order());   // nothing written
    }

    [Fact]
    public async Task Cycle_experiment_train_and_sample_are_refused_while_their_folder_is_held()
    {
        var data = Path.Combine(_dir, "data");
        Assert.Equal(CliHost.Ok, (await RftProcess.RunAsync("data", "synth", "--task", "count", "--n", "8", "--eval-n", "2", "--out", data)).Code);

        using (var held = RunFolderLock.Acquire(Path.Combine(_dir, "cycle")))
            await Refused(held, "cycle", "--out", held.Folder, "--preset", "tiny");
        using (var held = RunFolderLock.Acquire(Path.Combine(_dir, "experiment")))
            await Refused(held, "experiment", "--out", held.Folder, "--preset", "tiny");
        using (var held = RunFolderLock.Acquire(Path.Combine(_dir, "train")))
            await Refused(held, "train", "--data", Path.Combine(data, "train"), "--out", held.Folder, "--preset", "tiny");
        // Sampling shards may share a folder: the lock is per shard.
        using (var held = RunFolderLock.Acquire(Path.Combine(_dir, "sample"), "s000of001"))
            await Refused(held, "sample", "--model", TinyLlama.ExportModel(Path.Combine(_dir, "models"), "v1", seed: 1),
                "--prompts", Path.Combine(data, "train"), "--verifier", "numeric", "--out", held.Folder);
    }
}
