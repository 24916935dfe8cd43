using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Service.Batching;
using OnnxRftPipeline.Service.Models;

namespace OnnxRftPipeline.Service.Jobs;

/// <summary>
/// A sampling job's candidates drawn through the service's own decode loop (<see cref="BatchScheduler"/>) instead of a
/// second ONNX Runtime session: each prompt is one work item with the prompt's id and the job's seed, so the rows are
/// exactly those `rft sample` draws locally, and the job shares the cores with completions under the scheduler's
/// admission rule (<see cref="BatchScheduler.JobRows"/>: at most half the batch's rows in flight).
/// Producer and Where are those of a local `rft sample`, so the job's part files and shard manifest read as before.
/// </summary>
public sealed class ScheduledCandidateSource(BatchScheduler scheduler, LoadedModel model) : ICandidateSource
{
    public string ModelName => model.Name;
    public string ModelVersion => model.Version;
    public string Producer => "rft sample";
    public string? Where => null;

    public async Task<IReadOnlyList<DrawnCandidate>> DrawAsync(IReadOnlyList<SftExample> slice, SampleJobOptions o, Action<long> sampledTokens, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);   // one failure withdraws the rest of the slice
        int window = Math.Max(1, scheduler.JobRows / o.K);                       // prompts in flight at once
        var inFlight = new List<Task<CompletionResult>>();
        var drawn = new List<DrawnCandidate>();
        var tok = model.Folder.Tokenizer;
        try
        {
            int next = 0;
            while (next < slice.Count || inFlight.Count > 0)
            {
                while (next < slice.Count && inFlight.Count < window)
                {
                    var e = slice[next++];
                    var work = new CompletionWork([e.Prompt], o.K, o.Sampling, stop.Token, [e.Id]);
                    await scheduler.EnqueueJobAsync(work, stop.Token);
                    inFlight.Add(work.Done);
                }
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                var result = await done;
                // A version swapped in mid-job would mix two models in one shard: the job stops, naming both.
                if (result.Model.Version != model.Version)
                    throw new InvalidOperationException($"the served model changed from {model.Version} to {result.Model.Version} during the job; start it again (with resume) to sample the new version");
                foreach (var g in result.Generations)
                    drawn.Add(new DrawnCandidate(g.PromptId, g.CandidateIndex, tok.Decode(g.Tokens), string.Join(',', g.Tokens),
                        g.SampledTokens, g.SumLogprob, g.MeanLogprob, g.FinishReason, model.Name, model.Version));
                sampledTokens(result.Generations.Sum(g => (long)g.SampledTokens));
            }
            return drawn;
        }
        catch
        {
            stop.Cancel();
            await Task.WhenAll(inFlight).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
    }

    public void Dispose() { }
}
