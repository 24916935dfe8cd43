using System.Text.Json;
using System.Text.Json.Serialization;
using Polly;
using Polly.Retry;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>A transient failure worth retrying (a busy file, a flaky external verifier, a service hiccup).</summary>
public sealed class TransientStageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs a cycle's stages in order against a manifest. A stage whose record says done, whose outputs exist and
/// whose inputs have the same checksums is skipped; anything else runs (again). Transient failures are retried
/// with exponential backoff (Polly); a permanent one marks the stage failed, saves the manifest and stops,
/// leaving finished stages intact. Disposing it releases the run folder's lock, when it was given one.
/// </summary>
public sealed class StageRunner(string runDir, RunManifest manifest, int maxRetries = 2, TimeSpan? baseDelay = null) : IDisposable
{
    /// <summary>The run folder's one-writer lock, held from before the manifest was read until the run ends (<see cref="Dispose"/>).</summary>
    public OnnxRftPipeline.Contracts.Data.RunFolderLock? Lock { get; init; }

    public void Dispose() => Lock?.Dispose();

    readonly ResiliencePipeline _retry = RetryPipeline(maxRetries, baseDelay);

    static ResiliencePipeline RetryPipeline(int maxRetries, TimeSpan? baseDelay)
    {
        if (maxRetries < 0) throw new ArgumentOutOfRangeException(nameof(maxRetries), maxRetries, "stage retries must be 0 or more");
        // Polly's retry strategy needs at least one attempt: no retries is the empty pipeline.
        if (maxRetries == 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransientStageException>()
                    .Handle<IOException>(e => e is not (FileNotFoundException or DirectoryNotFoundException)),
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay ?? TimeSpan.FromSeconds(1),
                OnRetry = a =>
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]retrying[/] after: {a.Outcome.Exception?.Message}");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public string RunDir => runDir;
    public RunManifest Manifest => manifest;

    /// <summary>Called as a stage starts running (not when it is skipped).</summary>
    public Action<string>? OnStageStarting { get; init; }
    public string Path(string relative) => System.IO.Path.Combine(runDir, relative);

    /// <summary>
    /// Runs (or skips) one stage whose typed result the manifest keeps: a skipped stage returns the result it recorded when it
    /// ran (possibly in an earlier process), so the cycle reads every stage's numbers the same way whether it ran now or not.
    /// <paramref name="work"/> must write its outputs atomically or resume its own partial state. When the stage's inputs
    /// differ from what it last ran on, <paramref name="clear"/> (default: the outputs) is deleted first so no state of the
    /// old inputs is resumed.
    /// </summary>
    public async Task<T> RunAsync<T>(string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        Func<CancellationToken, Task<T>> work, CancellationToken ct, IReadOnlyList<string>? clear = null) where T : class
    {
        T? result = null;
        var record = await RunStageAsync(name, inputs, outputs, async token =>
        {
            result = await work(token);
            return JsonSerializer.SerializeToElement(result, ResultJson);
        }, needsResult: true, ct, clear);
        return result ?? record.Result!.Value.Deserialize<T>(ResultJson)
            ?? throw new InvalidDataException($"{Path(RunManifest.FileName)}: stage {name} recorded no result");
    }

    /// <summary>Runs (or skips) one stage that has no result besides its outputs (an export, the report).</summary>
    public Task<StageRecord> RunAsync(string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        Func<StageRecord, CancellationToken, Task> work, CancellationToken ct, IReadOnlyList<string>? clear = null)
    {
        StageRecord? running = null;
        return RunStageAsync(name, inputs, outputs, async token => { await work(running ??= manifest.Stage(name), token); return null; }, needsResult: false, ct, clear);
    }

    /// <summary>Stage results may hold NaN (a loss that was never computed): written as "NaN", never refused.</summary>
    static readonly JsonSerializerOptions ResultJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    async Task<StageRecord> RunStageAsync(string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        Func<CancellationToken, Task<JsonElement?>> work, bool needsResult, CancellationToken ct, IReadOnlyList<string>? clear)
    {
        var record = manifest.Stage(name);
        var checksums = inputs.ToDictionary(i => i, i => Checksums.Of(Path(i)));
        bool upToDate = record.Status == "done"
                        && (!needsResult || record.Result is not null)
                        && outputs.All(o => File.Exists(Path(o)) || Directory.Exists(Path(o)))
                        && checksums.Count == record.Inputs.Count
                        && checksums.All(kv => record.Inputs.TryGetValue(kv.Key, out var v) && v == kv.Value);
        if (upToDate)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]stage {name}: done earlier, skipped[/]");
            return record;
        }

        bool inputsChanged = record.Inputs.Count > 0 && !(checksums.Count == record.Inputs.Count
            && checksums.All(kv => record.Inputs.TryGetValue(kv.Key, out var v) && v == kv.Value));
        if (inputsChanged)
            foreach (var c in clear ?? outputs)
            {
                if (Directory.Exists(Path(c))) Directory.Delete(Path(c), recursive: true);
                else if (File.Exists(Path(c))) File.Delete(Path(c));
            }

        AnsiConsole.MarkupLineInterpolated($"[bold]stage {name}[/]{(record.Status is "running" or "failed" && !inputsChanged ? " (resuming)" : "")}");
        OnStageStarting?.Invoke(name);
        record.Status = "running";
        record.StartedAt = DateTime.UtcNow;
        record.Error = null;
        record.Result = null;
        record.Inputs = checksums;
        record.Outputs = outputs.ToList();
        manifest.Save(runDir);
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await _retry.ExecuteAsync(async token =>
            {
                record.Attempts++;
                record.Result = await work(token);
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            record.Status = "failed";
            record.Error = e.Message;
            record.Seconds = started.Elapsed.TotalSeconds;
            manifest.Save(runDir);
            throw new StageFailedException(name, e);
        }
        record.Status = "done";
        record.FinishedAt = DateTime.UtcNow;
        record.Seconds = started.Elapsed.TotalSeconds;
        manifest.Save(runDir);
        return record;
    }
}

/// <summary>A stage failed permanently; earlier stages' outputs are intact and the run can be resumed.</summary>
public sealed class StageFailedException(string stage, Exception inner)
    : Exception($"stage '{stage}' failed: {inner.Message} (finished stages are kept; fix the cause and run the same command to resume)", inner)
{
    public string Stage { get; } = stage;
}
