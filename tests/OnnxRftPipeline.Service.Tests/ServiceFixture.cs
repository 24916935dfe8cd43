using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>
/// A temp folder with models/rand/v1 (a tiny exported random model) and helpers to run the real service on
/// 127.0.0.1 with an ephemeral port. Tests that need their own settings start their own host on it.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rft-service-").FullName;
    public string ModelsRoot => Path.Combine(Root, "models");
    public string ModelDir => Path.Combine(ModelsRoot, TinyLlama.Name);
    public ServiceHost Host { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TinyLlama.ExportModel(ModelsRoot, "v1", seed: 11);
        Host = await StartAsync(Options());
        Client = ClientFor(Host);
    }

    public ServiceOptions Options() => new() { Model = ModelDir, Port = 0, Threads = 1, LogPrompts = false };

    public static Task<ServiceHost> StartAsync(ServiceOptions o, ILoggerProvider? logs = null, LogLevel level = LogLevel.Warning) =>
        ServiceHost.StartAsync(o, level, default, logs);

    /// <summary>A fresh temp registry with models/rand/v1, for tests that change the registry or need their own host.</summary>
    public static string NewRegistry(out string modelDir)
    {
        var root = Directory.CreateTempSubdirectory("rft-service-own-").FullName;
        TinyLlama.ExportModel(Path.Combine(root, "models"), "v1", seed: 11);
        modelDir = Path.Combine(root, "models", TinyLlama.Name);
        return root;
    }

    public static HttpClient ClientFor(ServiceHost host, string? key = null)
    {
        var c = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) c.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return c;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>How an OpenAI client reads a response: plain System.Text.Json over the wire format.</summary>
public static class Wire
{
    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(HttpClient c, string path, object body, CancellationToken ct = default)
    {
        var r = await c.PostAsJsonAsync(path, body, ct);
        var text = await r.Content.ReadAsStringAsync(ct);
        return ((int)r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), r);
    }

    public static async Task<JsonElement> OkAsync(HttpClient c, object body, CancellationToken ct = default)
    {
        var (status, json, _) = await PostAsync(c, "/v1/completions", body, ct);
        Assert.True(status == 200, $"expected 200, got {status}: {json}");
        return json;
    }

    public static string[] Texts(JsonElement completion) =>
        completion.GetProperty("choices").EnumerateArray().Select(x => x.GetProperty("text").GetString()!).ToArray();

    public static string Text(JsonElement completion) => Texts(completion).Single();
}
