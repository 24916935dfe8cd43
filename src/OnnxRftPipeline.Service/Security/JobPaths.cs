using System.Runtime.InteropServices;
using OnnxRftPipeline.Sampler.Jobs;

namespace OnnxRftPipeline.Service.Security;

/// <summary>
/// A sampling job's paths, checked again when the job starts running. They were resolved and checked when the job
/// was submitted, but a queued job can wait behind others for hours while the tree under the data root changes: a
/// folder on its way swapped for a symlink out of the root would make it read or write outside. So at the start every
/// path is walked again from the root, component by component, and refused if any component is now a symlink (the
/// submitted paths are real paths, so a link on them can only be new) or not a folder; the output folder is created
/// one component at a time without following links.
///
/// On Linux the output folder is then pinned: each component is opened with openat(O_NOFOLLOW | O_DIRECTORY)
/// relative to its parent's descriptor, and the job writes through /proc/self/fd/N, which names the folder that
/// descriptor holds whatever is renamed or swapped above it later. What stays open: the prompts and hardness folders
/// are read by path (their absolute path is part of the resume fingerprint, so they cannot be given as
/// /proc/self/fd/N) right after this check, a window of milliseconds for a read that happens once; and files inside
/// the output folder are opened by name, so someone who can write into that very folder could still plant a link
/// under the name of the next part file. Both need write access inside the data root and a race won at the right
/// moment, against a job whose output they could spoil anyway. Elsewhere (no /proc, no openat) the check is done
/// and the folder is used by path: the window is then the job's run time.
/// </summary>
public sealed class JobPaths : IDisposable
{
    readonly int _fd = -1;
    readonly string? _pinned;
    readonly string _outDir;

    /// <summary>The options the job runs with: the output folder pinned where the platform allows.</summary>
    public SampleJobOptions Options { get; }

    JobPaths(SampleJobOptions options, string outDir, int fd, string? pinned)
    {
        Options = options;
        _outDir = outDir;
        _fd = fd;
        _pinned = pinned;
    }

    /// <summary>Checks <paramref name="o"/>'s paths against <paramref name="dataRoot"/> again and pins its output folder.</summary>
    /// <exception cref="PathOutsideRootException">a path left the root or passes through a symlink now.</exception>
    public static JobPaths Check(string dataRoot, SampleJobOptions o)
    {
        var root = new DataRoot(dataRoot).Root;
        WalkExisting(root, o.Prompts, "prompts");
        if (o.Hardness is { } hardness) WalkExisting(root, hardness, "hardness");
        if (Pinning.Supported)
        {
            int fd = Pinning.OpenOutput(root, Relative(root, o.OutDir, "output"), o.OutDir);
            var pinned = $"/proc/self/fd/{fd}";
            return new JobPaths(o with { OutDir = pinned }, o.OutDir, fd, pinned);
        }
        CreateWithoutLinks(root, o.OutDir);
        return new JobPaths(o, o.OutDir, -1, null);
    }

    /// <summary>Runs the job with the checked options; messages that name the pinned folder name the output path instead.</summary>
    public async Task<T> RunAsync<T>(Func<SampleJobOptions, Task<T>> run)
    {
        try { return await run(Options); }
        catch (Exception e) when (_pinned is not null && e.Message.Contains(_pinned, StringComparison.Ordinal) && e is not OperationCanceledException)
        {
            throw new IOException(e.Message.Replace(_pinned, _outDir, StringComparison.Ordinal), e);
        }
    }

    static string[] Relative(string root, string path, string field)
    {
        var rel = Path.GetRelativePath(root, path);
        if (rel == ".") return [];
        if (Path.IsPathRooted(rel) || rel == ".." || rel.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new PathOutsideRootException($"'{field}' ({path}) resolves outside the data root", field);
        return rel.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
    }

    static PathOutsideRootException Linked(string field, string path, string component) =>
        new($"'{field}' ({path}): '{component}' is now a symbolic link or not a folder (it changed after the job was submitted); sampling-job paths may not pass through links", field);

    /// <summary>Every component of an existing input folder is a real folder, none a link.</summary>
    static void WalkExisting(string root, string path, string field)
    {
        var current = root;
        foreach (var part in Relative(root, path, field))
        {
            current = Path.Combine(current, part);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null || (info.Exists && !info.Attributes.HasFlag(FileAttributes.Directory)))
                throw Linked(field, path, Path.GetRelativePath(root, current));
            if (!info.Exists) throw new PathOutsideRootException($"'{field}' ({path}): '{Path.GetRelativePath(root, current)}' no longer exists", field);
        }
    }

    /// <summary>Without openat: creates the output folder one component at a time, refusing links before and after.</summary>
    static void CreateWithoutLinks(string root, string path)
    {
        var current = root;
        foreach (var part in Relative(root, path, "output"))
        {
            current = Path.Combine(current, part);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null) throw Linked("output", path, Path.GetRelativePath(root, current));
            if (!info.Exists) Directory.CreateDirectory(current);
            info = new DirectoryInfo(current);
            if (info.LinkTarget is not null || !info.Exists) throw Linked("output", path, Path.GetRelativePath(root, current));
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) Pinning.Close(_fd);
    }

    /// <summary>openat/mkdirat on Linux (x64 and arm64, whose O_ flag values differ); .NET has no API for them.</summary>
    static class Pinning
    {
        const int EEXIST = 17, ENOTDIR = 20, ELOOP = 40;
        const int O_RDONLY = 0, O_CLOEXEC = 0x80000;
        static readonly (int Directory, int NoFollow)? Flags = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (0x10000, 0x20000),
            Architecture.Arm64 => (0x4000, 0x8000),
            _ => null,
        };

        public static bool Supported => OperatingSystem.IsLinux() && Flags is not null && Directory.Exists("/proc/self/fd");

        /// <summary>The output folder's descriptor, each component created (mode 0777 less the umask) or opened beneath its parent's.</summary>
        public static int OpenOutput(string root, string[] parts, string path)
        {
            var (directory, noFollow) = Flags!.Value;
            int dir = open(root, O_RDONLY | O_CLOEXEC | directory);
            if (dir < 0) throw new IOException($"{root}: cannot open the data root: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            var done = new List<string>();
            try
            {
                foreach (var part in parts)
                {
                    done.Add(part);
                    if (mkdirat(dir, part, 0b111_111_111) != 0 && Marshal.GetLastPInvokeError() is var mk && mk != EEXIST)
                        throw new IOException($"'output' ({path}): cannot create '{string.Join('/', done)}': {Marshal.GetPInvokeErrorMessage(mk)}");
                    int next = openat(dir, part, O_RDONLY | O_CLOEXEC | directory | noFollow);
                    if (next < 0)
                    {
                        int err = Marshal.GetLastPInvokeError();
                        if (err is ELOOP or ENOTDIR) throw Linked("output", path, string.Join('/', done));
                        throw new IOException($"'output' ({path}): cannot open '{string.Join('/', done)}': {Marshal.GetPInvokeErrorMessage(err)}");
                    }
                    Close(dir);
                    dir = next;
                }
                return dir;
            }
            catch
            {
                Close(dir);
                throw;
            }
        }

        public static void Close(int fd) => close(fd);

        [DllImport("libc", SetLastError = true)] static extern int open(string path, int flags);
        [DllImport("libc", SetLastError = true)] static extern int openat(int dirfd, string path, int flags);
        [DllImport("libc", SetLastError = true)] static extern int mkdirat(int dirfd, string path, int mode);
        [DllImport("libc", SetLastError = true)] static extern int close(int fd);
    }
}
