using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OnnxRftPipeline.Service.Api;
using OnnxRftPipeline.Service.Batching;
using OnnxRftPipeline.Service.Jobs;
using OnnxRftPipeline.Service.Metrics;
using OnnxRftPipeline.Service.Models;
using OnnxRftPipeline.Service.Security;

namespace OnnxRftPipeline.Service.Hosting;

/// <summary>The generator service: Kestrel on the configured address, the model registry, the batch scheduler and the routes.</summary>
public sealed class ServiceHost : IAsyncDisposable
{
    readonly WebApplication _app;

    ServiceHost(WebApplication app) => _app = app;

    public ServiceOptions Options => _app.Services.GetRequiredService<ServiceOptions>();
    public ModelRegistry Models => _app.Services.GetRequiredService<ModelRegistry>();
    public BatchScheduler Scheduler => _app.Services.GetRequiredService<BatchScheduler>();
    public ServiceMetrics Metrics => _app.Services.GetRequiredService<ServiceMetrics>();

    /// <summary>The bound address (with the real port when 0 was asked for), e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Validates the options, loads the model and starts listening. Throws ArgumentException for unsafe settings.</summary>
    public static async Task<ServiceHost> StartAsync(ServiceOptions o, LogLevel logLevel = LogLevel.Information, CancellationToken ct = default,
        ILoggerProvider? extraLogger = null)
    {
        o.Validate();
        var address = BindAddress(o.Host);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (extraLogger is not null) builder.Logging.AddProvider(extraLogger);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = o.MaxRequestBodyBytes;
            k.AddServerHeader = false;
            k.Listen(address, o.Port);
        });
        // Graceful stop: Kestrel waits for in-flight requests, whose work the scheduler drains for the grace period
        // (then cancels, answering 503); the margin lets those 503s be written before Kestrel aborts connections.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = o.EffectiveShutdownGrace + TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(o);
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<ModelRegistry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelRegistry>());
        builder.Services.AddSingleton<BatchScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BatchScheduler>());
        builder.Services.AddSingleton<SamplingJobs>();
        builder.Services.AddSingleton(new ApiKeyCheck(o.ApiKey));

        var app = builder.Build();
        Map(app);
        // The drain starts when stopping starts: the host stops Kestrel (which waits for the in-flight requests) before
        // it stops the scheduler, so the scheduler's own StopAsync comes too late to bound the wait or to refuse new work.
        var scheduler = app.Services.GetRequiredService<BatchScheduler>();
        app.Lifetime.ApplicationStopping.Register(() => scheduler.Drain(o.EffectiveShutdownGrace));
        try { await app.StartAsync(ct); }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new ServiceHost(app);
    }

    static IPAddress BindAddress(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (host is "*" or "0.0.0.0") return IPAddress.Any;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return ip;
        throw new ArgumentException($"--host must be an IP address, localhost or 0.0.0.0, got '{host}'");
    }

    static void Map(WebApplication app)
    {
        var keys = app.Services.GetRequiredService<ApiKeyCheck>();
        app.Use(keys.InvokeAsync);

        app.MapPost(CompletionsEndpoint.Route, CompletionsEndpoint.Handle);
        app.MapGet("/v1/models", (ModelRegistry models) => Results.Json(new { @object = "list", data = new[] { ModelObject(models.Current) } }));
        app.MapGet("/v1/models/{**id}", (string id, ModelRegistry models) =>
            id == models.Current.Name ? Results.Json(ModelObject(models.Current))
                : new ApiError(StatusCodes.Status404NotFound, $"The model '{id}' does not exist", "invalid_request_error", "model", "model_not_found").ToResult());
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (BatchScheduler s, ModelRegistry m) =>
            s.Accepting && !m.Current.IsDisposed ? Results.Text("ready\n") : Results.Text("not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/metrics", (ServiceMetrics metrics, BatchScheduler s, ModelRegistry m) =>
            Results.Text(metrics.Render(s.QueueDepth, m.Current.Name, m.Current.Version, m.Swaps), "text/plain; version=0.0.4; charset=utf-8"));
        SamplingJobsEndpoints.Map(app);
    }

    static object ModelObject(LoadedModel m) => new
    {
        id = m.Name, @object = "model", created = m.LoadedAt.ToUnixTimeSeconds(), owned_by = "onnx-rft-pipeline",
        version = m.Version,   // extension: the version folder being served
    };

    /// <summary>Graceful stop: no new connections, in-flight requests finish (their batches drain), then the model is released.</summary>
    public Task StopAsync(CancellationToken ct = default) => _app.StopAsync(ct);

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{BaseAddress} serving {Models.Current.Name}/{Models.Current.Version}");
}
