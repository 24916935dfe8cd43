using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Runs an external program once per candidate. It receives one JSON object on stdin,
/// <c>{"prompt": "...", "candidate": "...", "answer": "..." | null}</c>, and must exit 0 after printing
/// either a bare score in [0,1] or a JSON object <c>{"score": 0.8, "accepted": true, "reason": "..."}</c>
/// (accepted and reason optional). Without an explicit accepted, the candidate is accepted when
/// score ≥ threshold.
/// Spec: <c>cmd:path=PROGRAM[,arg=A][,arg=B]...[,timeout=SECONDS][,threshold=T]</c> (defaults: timeout=10, threshold=0.5).
/// A start failure, non-zero exit, timeout, or unparseable output throws <see cref="VerifierException"/> naming the command.
/// </summary>
public sealed class CommandVerifier(string path, IReadOnlyList<string> args, TimeSpan timeout, double threshold = 0.5) : IVerifier
{
    static readonly UTF8Encoding Utf8NoBom = new(false);

    public string Spec { get; init; } = "cmd";

    string Display => args.Count == 0 ? path : path + " " + string.Join(" ", args);

    public async ValueTask<VerifierResult> VerifyAsync(VerifyInput input, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8NoBom,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);

        Process proc;
        try { proc = Process.Start(psi) ?? throw new VerifierException($"cmd '{Display}': could not start."); }
        catch (Win32Exception e) { throw new VerifierException($"cmd '{Display}': cannot start ({e.Message}).", e); }

        using (proc)
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            var stdoutTask = proc.StandardOutput.ReadToEndAsync(limit.Token);
            var stderrTask = proc.StandardError.ReadToEndAsync(limit.Token);
            string stdout, stderr;
            try
            {
                try
                {
                    await proc.StandardInput.WriteAsync(RequestJson(input).AsMemory(), limit.Token);
                    proc.StandardInput.Close();
                }
                catch (IOException) { /* the command exited without reading stdin; its exit code decides */ }
                await proc.WaitForExitAsync(limit.Token);
                // A grandchild can keep the pipes open after the command exits; the same deadline applies.
                stdout = await stdoutTask;
                stderr = await stderrTask;
            }
            catch (OperationCanceledException)
            {
                try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                ct.ThrowIfCancellationRequested();
                throw new VerifierException(
                    $"cmd '{Display}': timed out after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (raise timeout=...).");
            }

            if (proc.ExitCode != 0)
                throw new VerifierException($"cmd '{Display}': exited with code {proc.ExitCode}{Tail("stderr", stderr)}.");
            return ParseOutput(stdout, stderr).AsLeaf(Spec);
        }
    }

    static string RequestJson(VerifyInput input)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("prompt", input.Prompt);
            w.WriteString("candidate", input.Candidate);
            if (input.Answer is null) w.WriteNull("answer"); else w.WriteString("answer", input.Answer);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    VerifierResult ParseOutput(string stdout, string stderr)
    {
        var text = stdout.Trim();
        if (text.Length == 0)
            throw new VerifierException($"cmd '{Display}': printed nothing on stdout; expected a score in [0,1] or a JSON object{Tail("stderr", stderr)}.");
        if (text.StartsWith('{'))
        {
            double score;
            bool? accepted = null;
            string? reason = null;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (!root.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number)
                    throw Garbage(text, "the JSON object needs a numeric \"score\"");
                score = s.GetDouble();
                if (root.TryGetProperty("accepted", out var a))
                    accepted = a.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Garbage(text, "\"accepted\" must be true or false"),
                    };
                if (root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String) reason = r.GetString();
            }
            catch (JsonException e) { throw Garbage(text, "not valid JSON: " + e.Message); }
            CheckRange(score, text);
            return new VerifierResult(score, accepted ?? score >= threshold, reason ?? $"cmd: score {score.ToString("R", CultureInfo.InvariantCulture)}");
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
            throw Garbage(text, "expected a score in [0,1] or a JSON object");
        CheckRange(bare, text);
        return new VerifierResult(bare, bare >= threshold, $"cmd: score {bare.ToString("R", CultureInfo.InvariantCulture)}");
    }

    void CheckRange(double score, string text)
    {
        if (!double.IsFinite(score) || score < 0 || score > 1)
            throw Garbage(text, "the score must be in [0,1]");
    }

    VerifierException Garbage(string text, string why) =>
        new($"cmd '{Display}': could not read its output ({why}); it printed: {ExactMatchVerifier.Clip(text.ReplaceLineEndings(" "))}");

    static string Tail(string label, string s)
    {
        s = s.Trim();
        if (s.Length == 0) return "";
        return $"; {label}: {(s.Length > 300 ? "…" + s[^300..] : s)}";
    }
}
