using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Service.Hosting;

namespace OnnxRftPipeline.Service.Models;

/// <summary>
/// The model being served. Given models/NAME it serves the newest version and polls for newer ones: a new
/// version is loaded beside the old, swapped in for the next batches, and the old session is disposed when the
/// batches still decoding on it finish. A version that fails to load is logged and skipped; the old one stays.
/// Polling rather than a file watcher: an export writes many files, and a poll that sees the finished
/// folder (exports stage under a dot-name and rename) never catches one half-written. A folder copied in by
/// other means (cp -r, rsync) can be seen half-copied ("rft_model.json missing", a truncated model.onnx): a failed
/// version is tried again as soon as its files change (the copy went on) and otherwise after a backoff that doubles
/// from the poll interval up to <see cref="MaxRetryBackoff"/>; its failure is logged once per change of its files,
/// not on every poll.
/// </summary>
public sealed class ModelRegistry : BackgroundService
{
    readonly ServiceOptions _options;
    readonly ILogger<ModelRegistry> _log;
    readonly string? _watchedRoot;
    readonly object _swapLock = new();
    LoadedModel _current;
    Failure? _failed;

    /// <summary>Longest wait before an unchanged folder that failed to load is tried again.</summary>
    public static readonly TimeSpan MaxRetryBackoff = TimeSpan.FromMinutes(5);

    /// <summary>The newest version folder's last failed load: its files' state then, and when to try it again unchanged.</summary>
    sealed record Failure(string Dir, string Files, DateTime RetryAt, TimeSpan Backoff);

    public ModelRegistry(ServiceOptions options, ILogger<ModelRegistry> log)
    {
        _options = options;
        _log = log;
        var path = Path.GetFullPath(options.Model);
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"--model {options.Model}: model folder not found");
        _watchedRoot = ModelFolder.IsModelFolder(path) ? null : path;
        _current = LoadedModel.Load(_watchedRoot is null ? path : ModelFolder.NewestVersion(path), options.Threads, options.Device);
        _log.LogInformation("serving {Name} version {Version} from {Dir}", _current.Name, _current.Version, _current.Folder.Dir);
    }

    public LoadedModel Current => Volatile.Read(ref _current);

    /// <summary>Number of swaps done (for /metrics and tests).</summary>
    public int Swaps { get; private set; }

    /// <summary>A lease on the current model; retried if a swap retired it between the read and the lease.</summary>
    public LoadedModel.Lease Acquire()
    {
        while (true)
        {
            var lease = Current.TryAcquire();
            if (lease is not null) return lease;
        }
    }

    /// <summary>Loads the newest version if it is not the one served. Returns true when a swap happened.</summary>
    public bool CheckForNewVersion()
    {
        if (_watchedRoot is null) return false;
        string newest;
        try { newest = ModelFolder.NewestVersion(_watchedRoot); }
        catch (Exception e) when (e is IOException or InvalidDataException) { return false; }
        if (newest == Current.Folder.Dir) return false;
        var files = FilesState(newest);
        var failed = _failed;
        bool changed = failed is null || failed.Dir != newest || failed.Files != files;
        if (!changed && DateTime.UtcNow < failed!.RetryAt) return false;
        LoadedModel next;
        try { next = LoadedModel.Load(newest, _options.Threads, _options.Device); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever is wrong with the new folder (half copied, bad JSON, a graph ORT rejects), the old version keeps
            // serving; the folder is tried again when its files change, or after the backoff.
            var backoff = changed ? _options.ModelPollInterval : TimeSpan.FromTicks(Math.Min(failed!.Backoff.Ticks * 2, MaxRetryBackoff.Ticks));
            _failed = new Failure(newest, files, DateTime.UtcNow + backoff, backoff);
            if (changed)
                _log.LogError("model version {Dir} failed to load, still serving {Version} (tried again when its files change): {Message}", newest, Current.Version, e.Message);
            else
                _log.LogDebug("model version {Dir} still fails to load, next try in {Backoff}: {Message}", newest, backoff, e.Message);
            return false;
        }
        _failed = null;
        LoadedModel old;
        lock (_swapLock)
        {
            old = _current;
            Volatile.Write(ref _current, next);
            Swaps++;
        }
        old.Retire();
        _log.LogInformation("swapped in {Name} version {Version} (was {Old})", next.Name, next.Version, old.Version);
        return true;
    }

    /// <summary>Names, sizes and write times of the folder's files: changes while a copy into it goes on.</summary>
    static string FilesState(string dir)
    {
        try
        {
            return string.Join('\n', new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(dir, f.FullName)}\t{f.Length}\t{f.LastWriteTimeUtc.Ticks}").Order(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"unreadable: {e.Message}"; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_watchedRoot is null) return;
        using var timer = new PeriodicTimer(_options.ModelPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await Task.Run(CheckForNewVersion, stoppingToken);
        }
        catch (OperationCanceledException) { }
    }

    int _disposed;

    public override void Dispose()
    {
        base.Dispose();
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Current.Retire();
    }
}
