using System.CommandLine;
using System.Text.Json;
using OnnxRftPipeline.Cli.Cycle;
using OnnxRftPipeline.Cli.Verbs;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Sampler.Sampling;
using OnnxRftPipeline.Service.Api;
using OnnxRftPipeline.Service.Client;
using OnnxRftPipeline.Service.Jobs;

namespace OnnxRftPipeline.Cli.Tests.Verbs;

/// <summary>
/// One SamplingSettings end to end: the same defaults from the CLI flags, the HTTP request, the sampling-job body and the
/// client; one validator whose refusal names the field as each caller spells it; the recorded settings' JSON unchanged.
/// </summary>
public class SamplingSettingsEverywhereTests
{
    static readonly SamplingSettings D = SamplingSettings.Defaults;

    static void AssertDefaults(SamplingSettings s, string where, bool seed = true)
    {
        Assert.True(D.Temperature == s.Temperature, $"{where}: temperature {s.Temperature}");
        Assert.True(D.TopP == s.TopP, $"{where}: top_p {s.TopP}");
        Assert.True(D.TopK == s.TopK, $"{where}: top_k {s.TopK}");
        Assert.True(D.MaxNewTokens == s.MaxNewTokens, $"{where}: max_new_tokens {s.MaxNewTokens}");
        Assert.Empty(s.StopStrings);
        if (seed) Assert.True(D.Seed == s.Seed, $"{where}: seed {s.Seed}");
    }

    [Fact]
    public void The_product_defaults_are_what_every_caller_gets_for_a_field_left_out()
    {
        Assert.Equal((0.7, 1.0, 0, 128, 1234L), (D.Temperature, D.TopP, D.TopK, D.MaxNewTokens, D.Seed));
        var flags = new SamplingFlags();
        var command = new Command("t");
        foreach (var o in flags.Options) command.Add(o);
        AssertDefaults(flags.Read(command.Parse([])), "CLI flags");
        var http = CompletionRequest.Parse(JsonDocument.Parse("""{"model":"m","prompt":"x"}""").RootElement, 4096);
        AssertDefaults(http.Settings, "HTTP request", seed: false);   // an unseeded request samples freshly, as OpenAI's does
        AssertDefaults(JsonSerializer.Deserialize<SamplingJobsEndpoints.Body>("{}")!.Sampling, "sampling-job body");
        AssertDefaults(new CompletionCall { Model = "m", Prompt = "x" }.Sampling, "client");
        AssertDefaults(new EvalOptions { Model = "m", Data = "d", Verifier = "v", OutDir = "o" }.Sampling, "eval");
        // The cycle samples with the same record: the product's temperature and top_k, with its recipe's top_p and length.
        var cycle = CycleConfig.Load(null).Sampling;
        AssertDefaults(cycle with { TopP = D.TopP, MaxNewTokens = D.MaxNewTokens }, "cycle config");
        Assert.Equal((0.95, 96), (cycle.TopP, cycle.MaxNewTokens));
    }

    [Theory]
    [InlineData("--temperature", "3", "--temperature must be a finite number in [0, 2], got 3")]
    [InlineData("--top-k", "-1", "--top-k must be >= 0, got -1")]
    [InlineData("--top-p", "0", "--top-p must be in (0, 1], got 0")]
    [InlineData("--max-new-tokens", "0", "--max-new-tokens must be >= 1, got 0")]
    public async Task The_cli_names_the_flag(string flag, string value, string message)
    {
        var (code, error) = await RftProcess.RunAsync("sample", "--model", "m", "--prompts", "p", "--verifier", "numeric", "--out", "o", flag, value);
        Assert.Equal(CliHost.BadInput, code);
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("""{"temperature":3}""", "temperature", "'temperature' must be a finite number in [0, 2], got 3")]
    [InlineData("""{"top_k":-1}""", "top_k", "'top_k' must be >= 0, got -1")]
    [InlineData("""{"top_p":0}""", "top_p", "'top_p' must be in (0, 1], got 0")]
    [InlineData("""{"max_tokens":0}""", "max_tokens", "'max_tokens' must be >= 1, got 0")]
    [InlineData("""{"stop":[""]}""", "stop", "'stop' strings must not be empty")]
    public void Http_names_the_field_as_the_request_spells_it(string fields, string param, string message)
    {
        var body = JsonDocument.Parse(fields.Replace("{", """{"model":"m","prompt":"x",""")).RootElement;
        var e = Assert.Throws<ApiError>(() => CompletionRequest.Parse(body, 4096));
        Assert.Equal((param, message), (e.Param, e.Message));
    }

    [Fact]
    public void The_cycle_config_names_its_json_field()
    {
        var e = Assert.Throws<ArgumentException>(() => new CycleConfig { Temperature = -1 }.Validate());
        Assert.Equal("'temperature' must be a finite number in [0, 2], got -1", e.Message);
    }

    [Fact]
    public void Recorded_settings_are_the_json_jobs_have_always_written()
    {
        var s = new SamplingSettings { Temperature = 1.0, TopK = 40, TopP = 0.9, MaxNewTokens = 12, StopStrings = ["\n", "\"q\""], Seed = 7 };
        // What SampleJob built by hand before the record was serialized directly.
        static string ByHand(int k, SamplingSettings s, string? service)
        {
            var d = new Dictionary<string, object?>
            {
                ["k"] = k, ["temperature"] = s.Temperature, ["top_k"] = s.TopK, ["top_p"] = s.TopP,
                ["max_new_tokens"] = s.MaxNewTokens, ["stop"] = s.StopStrings,
            };
            if (service is not null) d["service"] = service;
            return JsonSerializer.Serialize(d);
        }
        Assert.Equal(ByHand(8, s, null), new SampledWith(8, s, null).ToJson());
        Assert.Equal(ByHand(3, D, "http://x:8000"), new SampledWith(3, D, "http://x:8000").ToJson());
        // The shard manifest serializes the record as it always has: a resumed job compares this text.
        Assert.Equal("""{"Temperature":0.7,"TopK":0,"TopP":1,"MaxNewTokens":128,"StopStrings":[],"Seed":1234}""", JsonSerializer.Serialize(D));
    }
}
