using System.Net;
using System.Text;
using System.Text.Json;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>POST /v1/completions against the real service, read the way an OpenAI client reads it.</summary>
public class CompletionsTests(ServiceFixture f) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task A_completion_has_OpenAIs_shape_and_usage()
    {
        var json = await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: 1+2\n", max_tokens = 8, seed = 1 });
        Assert.StartsWith("cmpl-", json.GetProperty("id").GetString());
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.True(json.GetProperty("created").GetInt64() > 1_700_000_000);
        Assert.Equal("rand", json.GetProperty("model").GetString());
        var choice = json.GetProperty("choices").EnumerateArray().Single();
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("text").ValueKind);
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = json.GetProperty("usage");
        Assert.Equal(1 + "Q: 1+2\n".Length, usage.GetProperty("prompt_tokens").GetInt32());   // bos + one token per byte
        int completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.InRange(completion, 1, 8);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Prompt_arrays_and_n_give_prompt_major_choices()
    {
        // Greedy, so each prompt's n choices are its single greedy continuation.
        var both = await Wire.OkAsync(f.Client, new { model = "rand", prompt = new[] { "Q: 7\n", "Q: abc\n" }, n = 3, max_tokens = 10, temperature = 0 });
        var choices = both.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2, 3, 4, 5], choices.Select(c => c.GetProperty("index").GetInt32()));
        var first = Wire.Text(await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: 7\n", max_tokens = 10, temperature = 0 }));
        var second = Wire.Text(await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: abc\n", max_tokens = 10, temperature = 0 }));
        Assert.NotEqual(first, second);
        Assert.Equal([first, first, first, second, second, second], Wire.Texts(both));
        // Each prompt counts once (bos + its bytes), however many choices it has.
        Assert.Equal((1 + 5) + (1 + 7), both.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Sampled_choices_of_one_prompt_differ_and_the_seed_fixes_them()
    {
        object Req(long seed) => new { model = "rand", prompt = "Q: 12+30\n", n = 4, max_tokens = 12, temperature = 1.0, seed };
        var a = Wire.Texts(await Wire.OkAsync(f.Client, Req(5)));
        var again = Wire.Texts(await Wire.OkAsync(f.Client, Req(5)));
        var other = Wire.Texts(await Wire.OkAsync(f.Client, Req(6)));
        Assert.True(a.Distinct().Count() > 1, "n sampled candidates should not all be equal");
        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_text_under_concurrent_traffic()
    {
        var probe = new { model = "rand", prompt = "Q: 99+1\n", max_tokens = 16, temperature = 1.0, top_p = 0.9, seed = 42 };
        var alone = Wire.Text(await Wire.OkAsync(f.Client, probe));
        // Same settings as the probe, so the scheduler batches them together.
        var noise = Enumerable.Range(0, 12).Select(i => Wire.OkAsync(f.Client,
            new { model = "rand", prompt = $"Q: {i} noise {new string('x', i)}\n", max_tokens = 16, temperature = 1.0, top_p = 0.9, seed = 100 + i })).ToList();
        var underLoad = Wire.OkAsync(f.Client, probe);
        await Task.WhenAll(noise);
        Assert.Equal(alone, Wire.Text(await underLoad));
    }

    [Fact]
    public async Task A_stop_string_ends_the_choice_before_it()
    {
        var full = Wire.Text(await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: 5+5\n", max_tokens = 24, temperature = 0 }));
        // The first ASCII character that did not occur earlier in the text: stopping on it keeps exactly what precedes it.
        int j = Enumerable.Range(1, full.Length - 1).First(i => full[i] < 128 && full[i] != '\uFFFD' && full.IndexOf(full[i]) == i);
        var cut = await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: 5+5\n", max_tokens = 24, temperature = 0, stop = new[] { full[j].ToString() } });
        var choice = cut.GetProperty("choices")[0];
        Assert.Equal(full[..j], choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Logprobs_list_every_returned_token()
    {
        var json = await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: 3\n", max_tokens = 10, temperature = 0.8, seed = 3, logprobs = 1 });
        var choice = json.GetProperty("choices")[0];
        var lp = choice.GetProperty("logprobs");
        var tokens = lp.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var logprobs = lp.GetProperty("token_logprobs").EnumerateArray().Select(t => t.GetDouble()).ToList();
        Assert.NotEmpty(tokens);
        Assert.Equal(tokens.Count, logprobs.Count);
        Assert.All(logprobs, x => Assert.True(x <= 0));
        Assert.Equal(choice.GetProperty("text").GetString(), string.Concat(tokens));
        Assert.Equal(tokens.Count, lp.GetProperty("text_offset").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"model\":\"rand\",\"prompt\":\"x\",\"n\":0}", 400, "n")]
    [InlineData("{\"model\":\"rand\",\"prompt\":\"x\",\"max_tokens\":\"many\"}", 400, "max_tokens")]
    [InlineData("{\"model\":\"rand\",\"prompt\":\"x\",\"temperature\":3}", 400, "temperature")]
    [InlineData("{\"model\":\"rand\",\"prompt\":\"x\",\"stream\":true}", 400, "stream")]
    [InlineData("{\"model\":\"rand\",\"prompt\":\"x\",\"frobnicate\":1}", 400, "frobnicate")]
    [InlineData("{\"model\":\"rand\",\"prompt\":[1,2,3]}", 400, "prompt")]
    [InlineData("{\"model\":\"rand\"}", 400, "prompt")]
    [InlineData("{\"prompt\":\"x\"}", 400, "model")]
    [InlineData("{\"model\":\"gpt-4\",\"prompt\":\"x\"}", 404, "model")]
    public async Task Bad_requests_name_the_field_in_OpenAIs_error_shape(string body, int status, string param)
    {
        var r = await f.Client.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)r.StatusCode);
        var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Malformed_json_and_a_prompt_beyond_the_context_are_400()
    {
        var r = await f.Client.PostAsync("/v1/completions", new StringContent("{\"model\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("\"error\"", await r.Content.ReadAsStringAsync());
        var (status, json, _) = await Wire.PostAsync(f.Client, "/v1/completions", new { model = "rand", prompt = new string('a', TinyLlama.Context + 5) });
        Assert.Equal(400, status);
        Assert.Equal("prompt", json.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_body_over_the_size_cap_is_413()
    {
        var big = new { model = "rand", prompt = new string('a', 2 << 20) };
        var (status, json, _) = await Wire.PostAsync(f.Client, "/v1/completions", big);
        Assert.Equal(413, status);
        Assert.Contains("larger than the limit", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Models_health_and_metrics_endpoints_answer()
    {
        var models = JsonDocument.Parse(await f.Client.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        var m = models.GetProperty("data").EnumerateArray().Single();
        Assert.Equal("rand", m.GetProperty("id").GetString());
        Assert.Equal("model", m.GetProperty("object").GetString());
        Assert.Equal("v1", m.GetProperty("version").GetString());
        Assert.Equal(HttpStatusCode.OK, (await f.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await f.Client.GetAsync("/readyz")).StatusCode);

        await Wire.OkAsync(f.Client, new { model = "rand", prompt = "Q: m\n", max_tokens = 4 });
        var metrics = await f.Client.GetStringAsync("/metrics");
        Assert.Matches("rft_requests_total\\{route=\"/v1/completions\",code=\"200\"\\} [1-9]", metrics);
        Assert.Matches("(?m)^rft_generated_tokens_total [1-9]", metrics);
        Assert.Contains("rft_queue_depth ", metrics);
        Assert.Contains("rft_tokens_per_second ", metrics);
        Assert.Matches("(?m)^rft_batch_rows_count [1-9]", metrics);
        Assert.Matches("(?m)^rft_request_duration_seconds_count [1-9]", metrics);
        Assert.Contains("rft_request_duration_seconds_bucket{le=\"+Inf\"}", metrics);
    }
}
