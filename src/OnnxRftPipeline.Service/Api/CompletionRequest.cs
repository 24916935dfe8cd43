using System.Text.Json;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Service.Api;

/// <summary>
/// The subset of OpenAI's POST /v1/completions this service honours, parsed by hand so every refusal names
/// its field the way OpenAI does ("param"). Parameters OpenAI has but the engine cannot honour are refused
/// unless they carry their neutral value, rather than silently ignored.
/// </summary>
public sealed record CompletionRequest(string Model, IReadOnlyList<string> Prompts, int N, int? Logprobs, SamplingSettings Settings, bool SeedGiven)
{
    public const int MaxPrompts = 64, MaxN = 64, MaxRows = 256, MaxStops = 4;

    static readonly HashSet<string> Known =
        ["model", "prompt", "n", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "logprobs",
         "stream", "echo", "best_of", "presence_penalty", "frequency_penalty", "logit_bias", "suffix",
         "user"];  // "user" (an end-user id for abuse tracking) is accepted and ignored

    public static CompletionRequest Parse(JsonElement root, int maxTokensLimit)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("the request body must be a JSON object");
        foreach (var p in root.EnumerateObject())
            if (!Known.Contains(p.Name)) throw ApiError.BadRequest($"Unrecognized request argument supplied: {p.Name}", p.Name);

        var model = Get(root, "model") is { ValueKind: JsonValueKind.String } m && m.GetString() is { Length: > 0 } name
            ? name : throw ApiError.BadRequest("'model' is required and must be a non-empty string", "model");
        var prompts = ParsePrompts(Get(root, "prompt"));
        int n = Int(root, "n", 1, 1, MaxN);
        if (prompts.Count * n > MaxRows) throw ApiError.BadRequest($"prompts × n is {prompts.Count * n}; at most {MaxRows} choices per request", "n");
        int? logprobs = Get(root, "logprobs") is { ValueKind: not JsonValueKind.Null } ? Int(root, "logprobs", 0, 0, 5) : null;
        long? seed = Get(root, "seed") is { ValueKind: not JsonValueKind.Null } s
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var v) ? v : throw ApiError.BadRequest("'seed' must be an integer", "seed")
            : null;
        var stops = Stops(Get(root, "stop"));

        Neutral(root, "stream", e => e.ValueKind is JsonValueKind.False, "streaming is not supported; send stream=false");
        Neutral(root, "echo", e => e.ValueKind is JsonValueKind.False, "echo is not supported");
        Neutral(root, "best_of", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var b) && b == n, "best_of is not supported (omit it or set it to n)");
        Neutral(root, "presence_penalty", e => e.ValueKind == JsonValueKind.Number && e.GetDouble() == 0, "presence_penalty is not supported (omit it or send 0)");
        Neutral(root, "frequency_penalty", e => e.ValueKind == JsonValueKind.Number && e.GetDouble() == 0, "frequency_penalty is not supported (omit it or send 0)");
        Neutral(root, "logit_bias", e => e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any(), "logit_bias is not supported");
        Neutral(root, "suffix", e => false, "suffix is not supported");

        // The request → settings conversion, the only one: a field left out gets the product's default (as vLLM applies the
        // model's defaults, not OpenAI's temperature 1 and 16 tokens); the record's one validator checks the values and the
        // refusal names the field as the request spells it. max_tokens is also bounded by the service's --max-tokens.
        var d = SamplingSettings.Defaults;
        var settings = new SamplingSettings
        {
            Temperature = Number(root, "temperature", d.Temperature), TopP = Number(root, "top_p", d.TopP), TopK = Int(root, "top_k", d.TopK, int.MinValue, int.MaxValue),
            MaxNewTokens = Int(root, "max_tokens", Math.Min(d.MaxNewTokens, maxTokensLimit), int.MinValue, int.MaxValue), StopStrings = stops,
            // OpenAI samples freshly without a seed; a random one gives that, and a given one makes it repeatable.
            Seed = seed ?? Random.Shared.NextInt64(),
        };
        if (settings.Problem() is { } problem) throw ApiError.BadRequest(problem.ForKey(HttpNames), problem.Key(HttpNames));
        if (settings.MaxNewTokens > maxTokensLimit)
            throw ApiError.BadRequest($"'max_tokens' must be at most {maxTokensLimit} (this service's --max-tokens), got {settings.MaxNewTokens}", "max_tokens");
        return new CompletionRequest(model, prompts, n, logprobs, settings, seed is not null);
    }

    /// <summary>Where the request names a sampling field differently from <see cref="SamplingSettings"/>'s key.</summary>
    public static readonly IReadOnlyDictionary<string, string> HttpNames = new Dictionary<string, string> { ["max_new_tokens"] = "max_tokens" };

    static JsonElement? Get(JsonElement root, string name) => root.TryGetProperty(name, out var e) ? e : null;

    static IReadOnlyList<string> ParsePrompts(JsonElement? e)
    {
        if (e is not { } p) throw ApiError.BadRequest("'prompt' is required", "prompt");
        if (p.ValueKind == JsonValueKind.String) return [p.GetString()!];
        if (p.ValueKind == JsonValueKind.Array)
        {
            var list = new List<string>();
            foreach (var x in p.EnumerateArray())
                list.Add(x.ValueKind == JsonValueKind.String ? x.GetString()!
                    : throw ApiError.BadRequest("'prompt' must be a string or an array of strings (token arrays are not supported)", "prompt"));
            if (list.Count == 0) throw ApiError.BadRequest("'prompt' must not be an empty array", "prompt");
            if (list.Count > MaxPrompts) throw ApiError.BadRequest($"'prompt' has {list.Count} prompts; at most {MaxPrompts}", "prompt");
            return list;
        }
        throw ApiError.BadRequest("'prompt' must be a string or an array of strings", "prompt");
    }

    static IReadOnlyList<string> Stops(JsonElement? e)
    {
        if (e is not { } s || s.ValueKind == JsonValueKind.Null) return [];
        var list = s.ValueKind switch
        {
            JsonValueKind.String => [s.GetString()!],
            JsonValueKind.Array => s.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()!
                : throw ApiError.BadRequest("'stop' must be a string or an array of strings", "stop")).ToList(),
            _ => throw ApiError.BadRequest("'stop' must be a string or an array of strings", "stop"),
        };
        if (list.Count > MaxStops) throw ApiError.BadRequest($"'stop' has {list.Count} sequences; at most {MaxStops}", "stop");
        return list;
    }

    static int Int(JsonElement root, string name, int fallback, int min, int max)
    {
        if (Get(root, name) is not { } e || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v)) throw ApiError.BadRequest($"'{name}' must be an integer", name);
        if (v < min || v > max) throw ApiError.BadRequest($"'{name}' must be in [{min}, {max}], got {v}", name);
        return v;
    }

    /// <summary>A number field's value (its range is the settings validator's to check).</summary>
    static double Number(JsonElement root, string name, double fallback)
    {
        if (Get(root, name) is not { } e || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind != JsonValueKind.Number) throw ApiError.BadRequest($"'{name}' must be a number", name);
        return e.GetDouble();
    }

    static void Neutral(JsonElement root, string name, Func<JsonElement, bool> isNeutral, string message)
    {
        if (Get(root, name) is { } e && e.ValueKind != JsonValueKind.Null && !isNeutral(e)) throw ApiError.BadRequest(message, name);
    }
}
