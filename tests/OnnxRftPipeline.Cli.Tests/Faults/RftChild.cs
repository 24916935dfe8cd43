using System.Diagnostics;
using System.Text;

namespace OnnxRftPipeline.Cli.Tests.Faults;

/// <summary>
/// The `rft` executable as a child process (the apphost the Cli project copies beside the tests), so a test can kill it with
/// SIGKILL (Process.Kill) as a crash, an OOM killer or a pulled plug would: no finally blocks, no disposal, no flush.
/// </summary>
sealed class RftChild : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _err = new();
    readonly StringBuilder _out = new();

    RftChild(Process p) => _p = p;

    public int Pid => _p.Id;
    public bool HasExited => _p.HasExited;
    public string Error { get { lock (_err) return _err.ToString(); } }
    public string Output { get { lock (_out) return _out.ToString(); } }

    public static RftChild Start(params string[] args)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "rft.exe" : "rft");
        var info = new ProcessStartInfo(exe, args)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        var p = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new RftChild(p);
        // Drained as it comes, so a full pipe never blocks the child.
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (child._out) child._out.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (child._err) child._err.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL, now. False when the child had already exited on its own (the fault was not injected).</summary>
    public async Task<bool> KillAsync()
    {
        if (_p.HasExited) return false;
        try { _p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { return false; }   // exited between the check and the kill
        await _p.WaitForExitAsync();
        return true;
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            _p.Kill(entireProcessTree: true);
            throw new TimeoutException($"rft did not finish in {timeout.TotalSeconds:F0} s; stderr: {Error}");
        }
        return _p.ExitCode;
    }

    /// <summary>Waits until <paramref name="ready"/> holds (polled every few ms), then kills. False when the child finished first.</summary>
    public async Task<bool> KillWhenAsync(Func<bool> ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ready())
        {
            if (_p.HasExited) return false;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the kill condition never held in {timeout.TotalSeconds:F0} s; stderr: {Error}");
            await Task.Delay(3);
        }
        return await KillAsync();
    }

    public void Dispose()
    {
        if (!_p.HasExited) try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _p.Dispose();
    }
}
