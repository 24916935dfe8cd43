using System.Globalization;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// One writer per output folder: `rft cycle`, `rft experiment`, `rft train --out` and each `rft sample` shard hold this for their
/// whole run, and a second process is refused at once with the holder's pid.
/// <para>
/// The lock is the open file `.rft-lock[-NAME]` in the folder, opened with <see cref="FileShare.None"/>: .NET takes an exclusive
/// flock(2) on it on Unix (a share-mode lock on Windows), and the OS drops that lock when the process ends however it ends, kill -9
/// included. So a lock left by a dead process is simply free: there is no pid-liveness check and no stale-lock timeout to guess, and
/// no window in which two processes both decide a lock is stale. The file itself is never deleted (deleting a lock file while
/// another process may have it open is how two holders arise); it is dot-named, so checksums and part-file readers skip it.
/// </para>
/// <para>
/// The holder's pid goes into a second file, `.rft-lock[-NAME].owner`, because a file held with FileShare.None cannot be read by
/// another .NET process (its read would need a shared flock). The owner file only feeds the refusal message; the lock alone decides.
/// </para>
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    readonly FileStream _held;

    public string Folder { get; }
    public string LockFile { get; }

    RunFolderLock(string folder, string lockFile, FileStream held)
    {
        Folder = folder;
        LockFile = lockFile;
        _held = held;
    }

    /// <summary>The lock file's name; <paramref name="name"/> separates independent writers sharing one folder (sampling shards).</summary>
    public static string FileName(string? name = null) => name is null ? ".rft-lock" : $".rft-lock-{name}";

    /// <summary>
    /// Takes the folder's lock (creating the folder), or throws an <see cref="IOException"/> marked as the user's error naming the
    /// folder and the holder's pid. <paramref name="what"/> says what the holder is doing, for that message ("run folder", "shard 0/2").
    /// </summary>
    public static RunFolderLock Acquire(string folder, string? name = null, string what = "run folder")
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName(name));
        FileStream held;
        try
        {
            held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw UserError.Mark(new IOException(
                $"{folder}: this {what} is in use by another writer ({Holder(path)}); one writer at a time — wait for it to finish, or stop it " +
                "(a killed process's lock is released by the OS, so the same command then resumes)", e));
        }
        try
        {
            var owner = string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId}, started {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z: {string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Take(6))}");
            var tmp = $"{path}.owner.{Environment.ProcessId}.tmp";
            File.WriteAllText(tmp, owner);
            File.Move(tmp, path + ".owner", overwrite: true);
        }
        catch (IOException) { }   // the owner note is only for others' messages; the lock is held either way
        catch (UnauthorizedAccessException) { }
        return new RunFolderLock(folder, path, held);
    }

    /// <summary>What the owner file says about the holder ("pid N, started …"), or that it does not say.</summary>
    static string Holder(string path)
    {
        // A holder writes its note just after taking the lock: a process refused in that instant waits briefly for it.
        for (int attempt = 0; ; attempt++)
        {
            try { return File.ReadAllText(path + ".owner").Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt == 20) return "pid unknown: it left no owner note";
                Thread.Sleep(25);
            }
        }
    }

    /// <summary>Releases the lock. The lock file stays (see the class note); the owner note goes, so no later message names a finished pid.</summary>
    public void Dispose()
    {
        try { File.Delete(LockFile + ".owner"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _held.Dispose();
    }
}
