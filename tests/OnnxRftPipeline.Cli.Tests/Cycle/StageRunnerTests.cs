using OnnxRftPipeline.Cli.Cycle;

namespace OnnxRftPipeline.Cli.Tests.Cycle;

public class StageRunnerTests
{
    static (string Dir, RunManifest M, StageRunner R) NewRun()
    {
        var dir = Directory.CreateTempSubdirectory("rft-stages-").FullName;
        var m = new RunManifest { RunId = "t" };
        return (dir, m, new StageRunner(dir, m, maxRetries: 2, baseDelay: TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public async Task Transient_failures_are_retried_then_the_stage_completes()
    {
        var (dir, m, r) = NewRun();
        int calls = 0;
        var rec = await r.RunAsync("flaky", [], ["out.txt"], (_, _) =>
        {
            if (++calls < 3) throw new TransientStageException("busy");
            File.WriteAllText(Path.Combine(dir, "out.txt"), "ok");
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(3, calls);
        Assert.Equal(("done", 3), (rec.Status, rec.Attempts));
        Assert.Equal("done", RunManifest.TryLoad(dir)!.Stage("flaky").Status);
    }

    [Fact]
    public async Task With_no_retries_a_transient_failure_fails_the_stage_at_once()
    {
        var dir = Directory.CreateTempSubdirectory("rft-stages-").FullName;
        var r = new StageRunner(dir, new RunManifest { RunId = "t" }, maxRetries: 0);
        int calls = 0;
        await Assert.ThrowsAsync<StageFailedException>(() => r.RunAsync("flaky", [], ["out.txt"],
            (_, _) => { calls++; throw new TransientStageException("busy"); }, CancellationToken.None));
        Assert.Equal(1, calls);
        Assert.Equal("failed", RunManifest.TryLoad(dir)!.Stage("flaky").Status);
    }

    [Fact]
    public async Task A_negative_stage_retries_is_refused_naming_the_field_before_anything_is_written()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-stages-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => new CycleRunner(dir, new CycleConfig { StageRetries = -1 }).RunAsync(CancellationToken.None));
        Assert.Contains("stage_retries", e.Message);
        Assert.False(File.Exists(Path.Combine(dir, "manifest.json")));
    }

    [Fact]
    public async Task A_permanent_failure_stops_with_a_message_and_keeps_finished_stages()
    {
        var (dir, m, r) = NewRun();
        await r.RunAsync("first", [], ["a.txt"], (_, _) => File.WriteAllTextAsync(Path.Combine(dir, "a.txt"), "a"), CancellationToken.None);
        int calls = 0;
        var e = await Assert.ThrowsAsync<StageFailedException>(() => r.RunAsync("second", ["a.txt"], ["b.txt"],
            (_, _) => { calls++; throw new InvalidDataException("bad row 7"); }, CancellationToken.None));
        Assert.Equal(1, calls);   // not transient: no retry
        Assert.Contains("second", e.Message);
        Assert.Contains("bad row 7", e.Message);
        var saved = RunManifest.TryLoad(dir)!;
        Assert.Equal("done", saved.Stage("first").Status);
        Assert.Equal("failed", saved.Stage("second").Status);
        Assert.True(File.Exists(Path.Combine(dir, "a.txt")));
    }

    [Fact]
    public async Task A_done_stage_is_skipped_until_its_input_changes()
    {
        var (dir, m, r) = NewRun();
        File.WriteAllText(Path.Combine(dir, "in.txt"), "v1");
        int runs = 0;
        Task Work(StageRecord _, CancellationToken __) { runs++; File.WriteAllText(Path.Combine(dir, "out.txt"), File.ReadAllText(Path.Combine(dir, "in.txt"))); return Task.CompletedTask; }
        await r.RunAsync("s", ["in.txt"], ["out.txt"], Work, CancellationToken.None);
        await r.RunAsync("s", ["in.txt"], ["out.txt"], Work, CancellationToken.None);
        Assert.Equal(1, runs);
        File.WriteAllText(Path.Combine(dir, "in.txt"), "v2");
        await r.RunAsync("s", ["in.txt"], ["out.txt"], Work, CancellationToken.None);
        Assert.Equal(2, runs);
        Assert.Equal("v2", File.ReadAllText(Path.Combine(dir, "out.txt")));
    }
}
