namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Writes a whole output folder beside its final name and renames it into place when complete, so a
/// failed or killed command leaves either the previous output or nothing, never a half-written folder.
/// </summary>
public static class StagedFolder
{
    public static async Task<string> WriteAsync(string outDir, Func<string, Task> write, bool overwrite = false, CancellationToken ct = default)
    {
        outDir = Path.GetFullPath(outDir);
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !overwrite)
            throw new IOException($"{outDir}: output folder exists and is not empty (pass --overwrite to replace it)");
        var parent = Path.GetDirectoryName(outDir)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(outDir)}.staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            await write(staging);
            ct.ThrowIfCancellationRequested();
            if (Directory.Exists(outDir))
            {
                // Move the old folder aside first: a directory rename cannot replace a non-empty target.
                var old = Path.Combine(parent, $".{Path.GetFileName(outDir)}.old-{Guid.NewGuid():N}");
                Directory.Move(outDir, old);
                Directory.Move(staging, outDir);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(staging, outDir);
            return outDir;
        }
        catch
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); } catch (IOException) { }
            throw;
        }
    }
}
