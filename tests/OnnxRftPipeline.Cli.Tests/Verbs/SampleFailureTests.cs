using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// `rft sample` jobs that fail after setup (issue 18, item 3): each exits 2 with one line, and leaves no trap — a job that wrote no
/// part leaves no `_sampling-*.json`, so the corrected rerun (plain or --resume) runs; one that wrote parts resumes with the same
/// settings, is refused with the differing fields named when a recorded setting changes, and is replaced with --overwrite.
/// </summary>
[Collection(Cycle.CycleCollection.Name)]   // shares the process console with the cycle tests
public sealed class SampleFailureTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rft-sample-fail-").FullName;
    readonly string _model;

    public SampleFailureTests() => _model = TinyLlama.ExportModel(Path.Combine(_dir, "models"), "v1", seed: 3);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Prompts p0…p{n-1} (ids sort in that order); <paramref name="prompt"/> gives prompt i's text instead of "i+1=".</summary>
    async Task<string> Prompts(string name, int n, bool answers, Func<int, string>? prompt = null)
    {
        var dir = Path.Combine(_dir, name);
        var rows = Enumerable.Range(0, n).Select(i => new SftExample
        {
            Id = $"p{i}", Prompt = prompt?.Invoke(i) ?? $"{i}+1=", Response = $"{i + 1}", Answer = answers ? $"{i + 1}" : null, Task = "t", Source = "test",
        }).ToList();
        await PartFiles.WritePartAsync(dir, 0, rows);
        return dir;
    }

    static Task<(int Code, string Error)> Sample(string model, string prompts, string outDir, string verifier, params string[] more) =>
        RftProcess.RunAsync(["sample", "--model", model, "--prompts", prompts, .. more.Contains("--k") ? Array.Empty<string>() : ["--k", "2"],
            "--max-new-tokens", "4", .. more.Contains("--threads") ? Array.Empty<string>() : ["--threads", "1"],
            "--prompts-per-part", "1", "--verifier", verifier, "--out", outDir, .. more]);

    static string[] Manifests(string outDir) => Directory.Exists(outDir) ? Directory.GetFiles(outDir, "_sampling-*.json") : [];
    static string[] Parts(string outDir) => Directory.Exists(outDir) ? Directory.GetFiles(outDir, "part-*.parquet") : [];

    static void AssertOneLine(string error)
    {
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error);   // no stack trace
    }

    [Fact]
    public async Task A_numeric_verifier_on_data_without_answers_leaves_nothing_and_the_corrected_rerun_runs()
    {
        var prompts = await Prompts("no-answers", 3, answers: false);
        var outDir = Path.Combine(_dir, "out");
        var (code, error) = await Sample(_model, prompts, outDir, "numeric");
        Assert.Equal(CliHost.BadInput, code);
        AssertOneLine(error);
        Assert.Contains("reference answer", error);
        Assert.Empty(Manifests(outDir));
        Assert.Empty(Parts(outDir));

        // Corrected settings with --resume (refused as "other settings" before) and without it both run now.
        Assert.Equal(CliHost.Ok, (await Sample(_model, prompts, outDir, "regex:pattern=.*", "--resume")).Code);
        Assert.Equal(3, Parts(outDir).Length);
        var again = Path.Combine(_dir, "out2");
        Assert.Equal(CliHost.BadInput, (await Sample(_model, prompts, again, "numeric")).Code);
        Assert.Equal(CliHost.Ok, (await Sample(_model, prompts, again, "regex:pattern=.*")).Code);
    }

    [Fact]
    public async Task A_missing_cmd_verifier_leaves_nothing_and_the_corrected_rerun_runs()
    {
        var prompts = await Prompts("answers", 2, answers: true);
        var outDir = Path.Combine(_dir, "out");
        var (code, error) = await Sample(_model, prompts, outDir, $"cmd:path={Path.Combine(_dir, "no-such-verifier")}");
        Assert.Equal(CliHost.BadInput, code);
        AssertOneLine(error);
        Assert.Contains("no-such-verifier", error);
        Assert.Empty(Manifests(outDir));
        Assert.Equal(CliHost.Ok, (await Sample(_model, prompts, outDir, "numeric")).Code);
        Assert.Equal(2, Parts(outDir).Length);
    }

    [Theory]
    [InlineData("sleep 30", ",timeout=1", "timed out")]   // hangs past its timeout
    [InlineData("echo garbage", "", "garbage")]           // prints no score
    public async Task A_cmd_verifier_that_hangs_or_prints_garbage_leaves_nothing(string body, string options, string expected)
    {
        var script = Path.Combine(_dir, "verifier.sh");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var prompts = await Prompts("answers", 2, answers: true);
        var outDir = Path.Combine(_dir, "out");
        var (code, error) = await Sample(_model, prompts, outDir, $"cmd:path={script}{options}");
        Assert.Equal(CliHost.BadInput, code);
        AssertOneLine(error);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Manifests(outDir));
        Assert.Equal(CliHost.Ok, (await Sample(_model, prompts, outDir, "numeric", "--resume")).Code);
    }

    [Fact]
    public async Task A_one_megabyte_prompt_fails_the_job_and_leaves_nothing()
    {
        var prompts = await Prompts("huge", 2, answers: true, i => i == 0 ? new string('7', 1 << 20) : $"{i}+1=");
        var outDir = Path.Combine(_dir, "out");
        var (code, error) = await Sample(_model, prompts, outDir, "numeric");
        Assert.Equal(CliHost.BadInput, code);
        AssertOneLine(error);
        Assert.Contains("p0", error);
        Assert.Empty(Manifests(outDir));
        Assert.Empty(Parts(outDir));
    }

    [Fact]
    public async Task A_job_that_wrote_parts_resumes_with_its_settings_and_is_replaced_with_overwrite()
    {
        // p2's prompt is too long for the model: parts 0 and 1 are written, part 2 fails.
        var bad = await Prompts("late-huge", 4, answers: true, i => i == 2 ? new string('7', 1 << 20) : $"{i}+1=");
        var outDir = Path.Combine(_dir, "out");
        Assert.Equal(CliHost.BadInput, (await Sample(_model, bad, outDir, "numeric")).Code);
        Assert.Equal(2, Parts(outDir).Length);
        Assert.Single(Manifests(outDir));

        // A plain rerun is still refused (parts exist), naming --resume.
        var (code, error) = await Sample(_model, bad, outDir, "numeric");
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains("--resume", error);

        // A recorded setting that would change the written candidates is refused with the field named.
        (code, error) = await Sample(_model, bad, outDir, "numeric", "--resume", "--temperature", "0.5");
        Assert.Equal(CliHost.BadInput, code);
        AssertOneLine(error);
        Assert.Contains("sampling.temperature: 0.7 → 0.5", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--overwrite", error);

        // The data fixed in place (same file, same prompt count): --resume keeps parts 0-1 and writes 2-3; --threads may change.
        var part0 = File.ReadAllBytes(Parts(outDir).Order().First());
        var fixedPrompts = await Prompts("late-huge-fixed", 4, answers: true);
        File.Copy(Directory.GetFiles(fixedPrompts, "*.parquet").Single(), Directory.GetFiles(bad, "*.parquet").Single(), overwrite: true);
        Assert.Equal(CliHost.Ok, (await Sample(_model, bad, outDir, "numeric", "--resume", "--threads", "2")).Code);
        Assert.Equal(4, Parts(outDir).Length);
        Assert.Equal(part0, File.ReadAllBytes(Parts(outDir).Order().First()));

        // --overwrite replaces the shard's output with other settings; --resume with --overwrite is refused.
        Assert.Equal(CliHost.BadInput, (await Sample(_model, bad, outDir, "numeric", "--resume", "--overwrite")).Code);
        Assert.Equal(CliHost.Ok, (await Sample(_model, bad, outDir, "numeric", "--overwrite", "--k", "3")).Code);
        var rows = await PartFiles.ReadAllAsync<CandidateRow>(outDir);
        Assert.Equal(12, rows.Sum(r => r.DuplicateCount));   // 4 prompts × K = 3
    }
}
