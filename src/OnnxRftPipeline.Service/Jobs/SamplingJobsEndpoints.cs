using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OnnxRftPipeline.Verifiers;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Service.Api;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Service.Security;

namespace OnnxRftPipeline.Service.Jobs;

/// <summary>POST/GET/DELETE /v1/sampling-jobs: `rft sample` as a service call, with every path confined to --data-root.</summary>
public static class SamplingJobsEndpoints
{
    public const string Route = "/v1/sampling-jobs";

    /// <summary>The JSON body; unknown fields are refused so a typo is not silently a default.</summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record Body
    {
        [JsonPropertyName("prompts")] public string? Prompts { get; init; }
        [JsonPropertyName("output")] public string? Output { get; init; }
        [JsonPropertyName("hardness")] public string? Hardness { get; init; }
        [JsonPropertyName("only_hard")] public bool OnlyHard { get; init; }
        [JsonPropertyName("k")] public int K { get; init; } = 8;
        [JsonPropertyName("verifier")] public string? Verifier { get; init; }
        /// <summary>The job's sampling settings (the product's defaults for fields left out); the fields below are views of it.</summary>
        [JsonIgnore] public SamplingSettings Sampling { get; init; } = SamplingSettings.Defaults;
        [JsonPropertyName("temperature")] public double Temperature { get => Sampling.Temperature; init => Sampling = Sampling with { Temperature = value }; }
        [JsonPropertyName("top_p")] public double TopP { get => Sampling.TopP; init => Sampling = Sampling with { TopP = value }; }
        [JsonPropertyName("top_k")] public int TopK { get => Sampling.TopK; init => Sampling = Sampling with { TopK = value }; }
        [JsonPropertyName("max_new_tokens")] public int MaxNewTokens { get => Sampling.MaxNewTokens; init => Sampling = Sampling with { MaxNewTokens = value }; }
        [JsonPropertyName("stop")] public string[]? Stop { get => [.. Sampling.StopStrings]; init => Sampling = Sampling with { StopStrings = value ?? [] }; }
        [JsonPropertyName("seed")] public long Seed { get => Sampling.Seed; init => Sampling = Sampling with { Seed = value }; }
        [JsonPropertyName("resume")] public bool Resume { get; init; }
        [JsonPropertyName("run_id")] public string? RunId { get; init; }
    }

    public static void Map(WebApplication app)
    {
        app.MapPost(Route, Create);
        app.MapGet(Route + "/{id}", (string id, SamplingJobs jobs) =>
            jobs.Get(id) is { } j ? Results.Json(j.ToJson()) : NotFound(id).ToResult());
        app.MapDelete(Route + "/{id}", async (string id, SamplingJobs jobs) =>
        {
            if (jobs.Get(id) is not { } j) return NotFound(id).ToResult();
            j.Cancellation.Cancel();
            // Short wait so the answer usually shows the final state; the job stops at its next decode step.
            await Task.WhenAny(j.Finished.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            return Results.Json(j.ToJson());
        });
    }

    static bool UsesCommand(VerifierSpec v) => v.Name == "cmd" || v.Children.Any(UsesCommand);

    static ApiError NotFound(string id) => new(StatusCodes.Status404NotFound, $"no sampling job '{id}'", "invalid_request_error", "id", "not_found");

    static async Task<IResult> Create(HttpContext ctx, ServiceOptions o, SamplingJobs jobs)
    {
        try
        {
            if (o.DataRoot is null)
                throw new ApiError(StatusCodes.Status403Forbidden, "sampling jobs are disabled: start the service with --data-root DIR", "permission_error");
            Body body;
            try { body = await JsonSerializer.DeserializeAsync<Body>(ctx.Request.Body, cancellationToken: ctx.RequestAborted) ?? throw ApiError.BadRequest("empty body"); }
            catch (JsonException e) { throw ApiError.BadRequest($"bad sampling job body at {e.Path}: {e.Message}", e.Path?.TrimStart('$', '.')); }

            var root = new DataRoot(o.DataRoot);
            var prompts = root.Resolve(body.Prompts ?? throw ApiError.BadRequest("'prompts' is required", "prompts"), "prompts");
            var output = root.Resolve(body.Output ?? throw ApiError.BadRequest("'output' is required", "output"), "output");
            var hardness = body.Hardness is null ? null : root.Resolve(body.Hardness, "hardness");
            var verifier = body.Verifier ?? throw ApiError.BadRequest("'verifier' is required", "verifier");
            // A cmd verifier runs a program: never on the say-so of an HTTP body.
            if (UsesCommand(VerifierSpec.Parse(verifier)))
                throw ApiError.BadRequest("command verifiers (cmd:) are not accepted over HTTP; run `rft sample` locally for those", "verifier");
            VerifierFactory.Create(verifier);
            if (!Directory.Exists(prompts)) throw ApiError.BadRequest($"'prompts' ({body.Prompts}) is not a folder under the data root", "prompts");
            if (hardness is not null && !Directory.Exists(hardness)) throw ApiError.BadRequest($"'hardness' ({body.Hardness}) is not a folder under the data root", "hardness");
            var options = new SampleJobOptions
            {
                Model = "(served model)", Prompts = prompts, OutDir = output, Hardness = hardness, OnlyHard = body.OnlyHard, K = body.K,
                Verifier = verifier, Resume = body.Resume, RunId = body.RunId ?? "",
                Sampling = body.Sampling,
            };
            // The settings' one validator, naming the field as the body spells it; then the job's own options.
            if (body.Sampling.Problem() is { } problem) throw ApiError.BadRequest(problem.ForKey(), problem.Field);
            options.Validate();
            var job = jobs.Start(options)
                ?? throw new ApiError(StatusCodes.Status429TooManyRequests, $"{o.MaxSamplingJobs} sampling jobs are unfinished; wait for one to end", "requests", null, "rate_limit_exceeded");
            return Results.Json(job.ToJson(), statusCode: StatusCodes.Status202Accepted);
        }
        catch (ApiError e) { return e.ToResult(); }
        catch (PathOutsideRootException e) { return ApiError.BadRequest(e.Message, e.Field).ToResult(); }
        catch (VerifierSpecException e) { return ApiError.BadRequest(e.Message, "verifier").ToResult(); }
        catch (ArgumentException e) { return ApiError.BadRequest(e.Message).ToResult(); }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) { return new ApiError(e.StatusCode, e.Message, "invalid_request_error").ToResult(); }
    }
}
