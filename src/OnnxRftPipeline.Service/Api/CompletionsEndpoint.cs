using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.Service.Batching;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.Service.Metrics;
using OnnxRftPipeline.Service.Models;

namespace OnnxRftPipeline.Service.Api;

/// <summary>POST /v1/completions: parse, queue for a batch (429 when the queue is full), answer in OpenAI's shape.</summary>
public static class CompletionsEndpoint
{
    public const string Route = "/v1/completions";

    public static async Task Handle(HttpContext ctx, ServiceOptions o, BatchScheduler scheduler, ModelRegistry models, ServiceMetrics metrics, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("OnnxRftPipeline.Service.Completions");
        var watch = Stopwatch.StartNew();
        int status = StatusCodes.Status200OK;
        try
        {
            var body = await ReadBodyAsync(ctx);
            var req = CompletionRequest.Parse(body.RootElement, o.MaxTokensLimit);
            var current = models.Current;
            if (req.Model != current.Name && req.Model != $"{current.Name}/{current.Version}")
                throw new ApiError(StatusCodes.Status404NotFound, $"The model '{req.Model}' does not exist (this service serves '{current.Name}')",
                    "invalid_request_error", "model", "model_not_found");
            if (o.LogPrompts) log.LogInformation("completion request: {Prompts}", req.Prompts);
            else log.LogDebug("completion request: {Count} prompts, n={N}", req.Prompts.Count, req.N);

            // One token source for the client going away and for the request timeout: either stops the work.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            timeout.CancelAfter(o.RequestTimeout);
            var work = new CompletionWork(req.Prompts, req.N, req.Settings, timeout.Token);
            if (!scheduler.TryEnqueue(work))
            {
                if (!scheduler.Accepting)
                    throw new ApiError(StatusCodes.Status503ServiceUnavailable, "the service is shutting down", "server_error", null, "shutting_down");
                metrics.CountRejected();
                ctx.Response.Headers.RetryAfter = o.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new ApiError(StatusCodes.Status429TooManyRequests, "the request queue is full; retry after the Retry-After delay",
                    "requests", null, "rate_limit_exceeded");
            }
            CompletionResult result;
            // Waiting stops at once on disconnect or timeout; the decode loop withdraws (or skips) the work on its next step.
            try { result = await work.Done.WaitAsync(timeout.Token); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                status = 499;  // client closed the request: nobody to answer
                return;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new ApiError(StatusCodes.Status504GatewayTimeout, $"the request did not finish within {o.RequestTimeout.TotalSeconds:F0} s",
                    "timeout", null, "timeout");
            }
            catch (RequestRejectedException e) { throw ApiError.BadRequest(e.Message, e.Param); }
            catch (OperationCanceledException)
            {
                throw new ApiError(StatusCodes.Status503ServiceUnavailable, "the service stopped before the request was served", "server_error", null, "shutting_down");
            }
            metrics.AddPromptTokens(result.PromptTokens.Sum());
            if (o.LogPrompts) log.LogInformation("completion texts: {Texts}", result.Generations.Select(g => result.Model.Folder.Tokenizer.Decode(g.Tokens)));
            await ctx.Response.WriteAsJsonAsync(Response(req, result));
        }
        catch (ApiError e)
        {
            status = e.Status;
            await e.WriteAsync(ctx);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            // Kestrel's body size cap (413) and malformed bodies.
            status = e.StatusCode;
            await new ApiError(e.StatusCode, e.StatusCode == 413 ? $"the request body is larger than the limit of {o.MaxRequestBodyBytes} bytes" : e.Message,
                "invalid_request_error").WriteAsync(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && e is not OperationCanceledException)
        {
            // An engine failure: OpenAI's error shape with a 500, the details in the log (never the prompt).
            status = StatusCodes.Status500InternalServerError;
            log.LogError(e, "completion failed");
            await new ApiError(status, "the generator failed while serving this request", "server_error").WriteAsync(ctx);
        }
        finally
        {
            metrics.CountRequest(Route, status);
            if (status == StatusCodes.Status200OK) metrics.ObserveLatency(watch.Elapsed);
        }
    }

    static async Task<JsonDocument> ReadBodyAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(StatusCodes.Status415UnsupportedMediaType, "the request body must be JSON (Content-Type: application/json)", "invalid_request_error");
        try { return await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted); }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
    }

    /// <summary>OpenAI's text_completion object. Choices are numbered prompt-major: index = prompt × n + candidate.</summary>
    static object Response(CompletionRequest req, CompletionResult r)
    {
        var tok = r.Model.Folder.Tokenizer;
        var choices = r.Generations.Select((g, i) =>
        {
            var text = tok.Decode(g.Tokens);
            return new
            {
                text,
                index = i,
                logprobs = req.Logprobs is null ? null : Logprobs(g, tok, req.Prompts[i / req.N].Length),
                finish_reason = g.FinishReason == "length" ? "length" : "stop",
                // Extensions (OpenAI clients ignore unknown fields): what the RFT sampler records per candidate.
                sampled_tokens = g.SampledTokens,
                sum_logprob = g.SumLogprob,
            };
        }).ToList();
        int promptTokens = r.PromptTokens.Sum(), completionTokens = r.Generations.Sum(g => g.SampledTokens);
        return new
        {
            id = $"cmpl-{Guid.NewGuid():N}",
            @object = "text_completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = r.Model.Name,
            system_fingerprint = $"{r.Model.Name}/{r.Model.Version}",
            choices,
            usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
        };
    }

    /// <summary>
    /// OpenAI's legacy logprobs object for the returned tokens. top_logprobs is null: the engine keeps the sampled
    /// token's log-probability only, not the top alternatives.
    /// </summary>
    static object Logprobs(Generation g, OnnxRftPipeline.Contracts.Text.ITokenizer tok, int promptChars)
    {
        var tokens = g.Tokens.Select(t => tok.Decode([t])).ToList();
        var offsets = new List<int>(tokens.Count);
        int at = promptChars;
        foreach (var t in tokens) { offsets.Add(at); at += t.Length; }
        return new { tokens, token_logprobs = g.TokenLogprobs, top_logprobs = (object?)null, text_offset = offsets };
    }
}
