using System.Diagnostics;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Contracts.Tests;

/// <summary>One writer per run folder (issue 18, item 2): the lock, its refusal message, and a dead holder's lock taken over.</summary>
public sealed class RunFolderLockTests : IDisposable
{
    readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("rft-lock-").FullName, "run");

    public void Dispose()
    {
        try { Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_second_holder_is_refused_naming_the_folder_and_the_holders_pid_until_the_first_lets_go()
    {
        using (var first = RunFolderLock.Acquire(_dir))
        {
            // flock(2) locks belong to an open file description, so a second open in the same process conflicts like another process's.
            var e = Assert.Throws<IOException>(() => RunFolderLock.Acquire(_dir));
            Assert.True(UserError.IsMarked(e));
            Assert.Contains(Path.GetFullPath(_dir), e.Message);
            Assert.Contains($"pid {Environment.ProcessId}", e.Message);
            // Independent writers of one folder (sampling shards) hold separate locks.
            using var shard = RunFolderLock.Acquire(_dir, "s000of002");
            using var other = RunFolderLock.Acquire(_dir, "s001of002");
        }
        using var again = RunFolderLock.Acquire(_dir);
        Assert.True(File.Exists(Path.Combine(_dir, RunFolderLock.FileName())));
    }

    [Fact]
    public async Task A_lock_left_by_a_killed_process_is_taken_over()
    {
        Directory.CreateDirectory(_dir);
        var lockFile = Path.Combine(_dir, RunFolderLock.FileName());
        // util-linux flock(1) takes the same exclusive flock .NET takes for FileShare.None, then the process is killed with SIGKILL.
        // -o: flock itself holds the lock, not the sleep it runs (an inherited descriptor would keep the lock alive in a child
        // that outlives the kill by a moment, and the test would measure that race instead of the OS releasing a dead holder's lock).
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-x", "-o", lockFile, "sleep", "60"]) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try { RunFolderLock.Acquire(_dir).Dispose(); }
            catch (IOException) { break; }   // held by the child now
            Assert.True(DateTime.UtcNow < deadline, "flock(1) never took the lock");
            await Task.Delay(20);
        }
        File.WriteAllText(lockFile + ".owner", $"pid {holder.Id}, started earlier: a killed writer");
        Assert.Contains($"pid {holder.Id}", Assert.Throws<IOException>(() => RunFolderLock.Acquire(_dir)).Message);

        holder.Kill(entireProcessTree: true);
        await holder.WaitForExitAsync();
        using var taken = RunFolderLock.Acquire(_dir);   // no stale-lock check, no wait: the OS dropped the dead process's lock
        Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(lockFile + ".owner"));
    }
}
