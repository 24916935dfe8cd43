namespace OnnxRftPipeline.Service.Security;

/// <summary>
/// Confines paths given over HTTP to one folder. A path is resolved against the root, collapsed ('..'), and every
/// existing component's symlinks are followed to their real targets before the containment check, so neither
/// "../../etc" nor a link planted inside the root can reach outside it.
/// </summary>
public sealed class DataRoot
{
    public string Root { get; }

    public DataRoot(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"--data-root {root}: folder not found");
        Root = RealPath(Path.GetFullPath(root));
    }

    /// <summary>The real absolute path of <paramref name="path"/> (relative paths are taken from the root); throws when it lies outside.</summary>
    public string Resolve(string path, string field)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new PathOutsideRootException($"'{field}' must be a non-empty path", field);
        if (path.Contains('\0')) throw new PathOutsideRootException($"'{field}' contains a NUL character", field);
        var real = RealPath(Path.GetFullPath(Path.Combine(Root, path)));
        if (real != Root && !real.StartsWith(Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new PathOutsideRootException($"'{field}' ({path}) resolves outside the data root", field);
        return real;
    }

    /// <summary>Follows symlinks component by component; components that do not exist yet are kept as written.</summary>
    static string RealPath(string full, int depth = 0)
    {
        if (depth > 40) throw new IOException($"{full}: too many levels of symbolic links");
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
                next = RealPath(Path.GetFullPath(Path.Combine(current, target)), depth + 1);
            current = next;
        }
        return current;
    }
}

public sealed class PathOutsideRootException(string message, string field) : Exception(message)
{
    public string Field { get; } = field;
}
