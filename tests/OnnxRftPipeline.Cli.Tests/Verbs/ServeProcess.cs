using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// `rft serve` as a real child process (rft.dll from this test's output folder), so signals reach it as they would
/// from systemd or Kubernetes: standard output is collected, the bound address read from its "serving" line.
/// </summary>
sealed partial class ServeProcess : IDisposable
{
    readonly Process _p;
    readonly ConcurrentQueue<string> _out = new(), _err = new();
    readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    ServeProcess(Process p) => _p = p;

    public int Pid => _p.Id;
    public string Stdout => string.Join('\n', _out);
    public string Stderr => string.Join('\n', _err);

    public static async Task<(ServeProcess Process, Uri Address)> StartAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rft.dll"));
        start.ArgumentList.Add("serve");
        foreach (var a in args) start.ArgumentList.Add(a);
        var s = new ServeProcess(Process.Start(start)!);
        s._p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            s._out.Enqueue(e.Data);
            if (Serving().Match(e.Data) is { Success: true } m) s._address.TrySetResult(new Uri(m.Groups[1].Value));
        };
        s._p.ErrorDataReceived += (_, e) => { if (e.Data is not null) s._err.Enqueue(e.Data); };
        s._p.BeginOutputReadLine();
        s._p.BeginErrorReadLine();
        var exited = s._p.WaitForExitAsync();
        var first = await Task.WhenAny(s._address.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != s._address.Task)
        {
            s.Dispose();
            throw new InvalidOperationException($"rft serve did not start: {s.Stdout}\n{s.Stderr}");
        }
        return (s, await s._address.Task);
    }

    [GeneratedRegex(@"^serving .* on (http://\S+)")]
    private static partial Regex Serving();

    /// <summary>SIGTERM, as `kill PID` sends it (Process.Kill would be SIGKILL).</summary>
    public void Terminate()
    {
        if (kill(_p.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_p.Id} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    /// <summary>The exit code, or null if it had not exited within <paramref name="limit"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        try { await _p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { return null; }
        _p.WaitForExit();   // drains the redirected output
        return _p.ExitCode;
    }

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }
}
