using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Sampler.Engine;
using System.Globalization;
using System.Text.RegularExpressions;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Sampler.Jobs;
using OnnxRftPipeline.Service.Client;
using Polly.CircuitBreaker;

namespace OnnxRftPipeline.Cli.Cycle;

/// <summary>
/// The cycle's hard-prompt sample stage through a running `rft serve` (config `service` + `service_models`). The service
/// serves the newest version under service_models, so the cycle publishes its probe there as a new version, waits
/// until GET /v1/models reports exactly that version, and samples with every request pinned to it: the candidates
/// come from this run's probe, never from whatever the service happened to be serving.
/// </summary>
internal sealed class ServiceSampling(CycleConfig cfg, TimeSpan serviceWait)
{
    TimeSpan ServiceWait => serviceWait;
    static readonly TimeSpan ServicePoll = TimeSpan.FromMilliseconds(500);
    const int ServiceConcurrency = 8;

    /// <summary>The service fields; called before any stage runs, like the spin_* checks.</summary>
    internal static void Check(CycleConfig cfg)
    {
        if (cfg.Service is null)
        {
            if (cfg.ServiceModels is not null) throw new ArgumentException("service_models is set but service is not: give the service URL too, or drop service_models");
            return;
        }
        if (!Uri.TryCreate(cfg.Service, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"service must be an http(s) URL, got '{cfg.Service}'");
        if (string.IsNullOrWhiteSpace(cfg.ServiceModels))
            throw new ArgumentException("service_models is required with service: the models/NAME folder the service at " +
                                        $"{cfg.Service} serves (its --model), where the cycle publishes its probe model");
        var dir = Path.GetFullPath(cfg.ServiceModels);
        if (!Directory.Exists(dir))
            throw new ArgumentException($"service_models {cfg.ServiceModels}: folder not found (it must be the models/NAME folder the service at {cfg.Service} serves)");
        if (ModelFolder.IsModelFolder(dir))
            throw new ArgumentException($"service_models {cfg.ServiceModels}: is one model version folder; give its parent models/NAME, which the service watches for new versions");
        // The service batches continuously and loads only standard exports; anything else would be published and never served.
        if (OnnxExporter.ParseGraphOps(cfg.ExportOps, "export_ops") != GraphOps.Standard)
            throw new ArgumentException($"export_ops {cfg.ExportOps} cannot be sampled by a service (rft serve loads standard exports only): use export_ops standard with service");
    }

    /// <summary>Publishes the run's probe to the service, waits until it is served, then samples with every request pinned to it.</summary>
    internal async Task<SampleSummary> SampleAsync(StageRunner stages, SampleJobOptions options, CancellationToken ct)
    {
        var version = PublishProbe(stages.Path("models/probe/v1"), Path.GetFullPath(cfg.ServiceModels!), stages.Manifest.RunId);
        await WaitUntilServedAsync(version, ct);
        // The service's own engine and device draw these candidates; the config's engine/device are for the local stages (eval).
        var remote = options with { Engine = EngineKind.Native, Device = ComputeDevice.Cpu };
        return await SampleStage.RunRemoteAsync(remote, cfg.Service!, apiKey: null, ServiceConcurrency, ct, requireVersion: version);
    }

    /// <summary>
    /// Copies the probe model into service_models/VERSION (staged under a dot-name the registry skips, then renamed, so
    /// the service never loads half a folder) and returns VERSION. The name is v + the probe's export time + the run
    /// id: newer than any version published before (natural order: v2 &lt; v20261123...), stable when a killed sample
    /// stage re-runs (the folder is then reused), and new when the probe itself was re-trained and re-exported.
    /// </summary>
    internal static string PublishProbe(string probeDir, string serviceModels, string runId)
    {
        var probe = ModelFolder.Load(probeDir);
        var version = "v" + probe.Info.ExportedAtUtc.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)
                      + "-" + Regex.Replace(runId, "[^A-Za-z0-9_-]", "-");
        var target = Path.Combine(serviceModels, version);
        if (Directory.Exists(target))
        {
            // A re-run of the stage: the folder is ours if it holds the same weights.
            var there = RftModelInfo.Load(Path.Combine(target, RftModelInfo.FileName));
            if (there.SourceSha256 != probe.Info.SourceSha256)
                throw new InvalidDataException($"{target}: exists and holds another model (source_sha256 {there.SourceSha256}, the probe's is {probe.Info.SourceSha256})");
        }
        else
        {
            // Keep the name the service already answers to, so other clients' requests keep matching after the swap.
            string name;
            try { name = RftModelInfo.Load(Path.Combine(ModelFolder.NewestVersion(serviceModels), RftModelInfo.FileName)).ModelName; }
            catch (InvalidDataException) { name = Path.GetFileName(serviceModels); }   // no version yet

            var tmp = Path.Combine(serviceModels, $".{version}.tmp-{Guid.NewGuid():N}");
            Directory.CreateDirectory(tmp);
            try
            {
                foreach (var f in Directory.GetFiles(probe.Dir)) File.Copy(f, Path.Combine(tmp, Path.GetFileName(f)));
                var info = probe.Info;
                info.ModelName = name;
                info.ModelVersion = version;   // what the service reports as the version, and what the wait looks for
                File.WriteAllText(Path.Combine(tmp, RftModelInfo.FileName), info.ToJson());
                ModelFolder.Load(tmp);
                Directory.Move(tmp, target);
            }
            catch
            {
                if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
                throw;
            }
        }
        var newest = ModelFolder.NewestVersion(serviceModels);
        if (Path.GetFullPath(newest) != Path.GetFullPath(target))
            throw new InvalidDataException($"{serviceModels}: version {Path.GetFileName(newest)} sorts after the published probe {version}, " +
                                           "so the service would keep serving it; remove it or give this run its own service_models folder");
        return version;
    }

    /// <summary>Polls GET /v1/models until the service reports <paramref name="version"/>, for at most <see cref="ServiceWait"/>.</summary>
    async Task WaitUntilServedAsync(string version, CancellationToken ct)
    {
        // Short retries inside a poll: the loop itself keeps asking, and the deadline bounds it.
        using var client = new CompletionsClient(new Uri(cfg.Service!), resilience: new ClientResilience
        {
            MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1), AttemptTimeout = TimeSpan.FromSeconds(10),
        });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(ServiceWait);
        string seen = "nothing yet";
        try
        {
            while (true)
            {
                try
                {
                    var served = (await client.ModelsAsync(deadline.Token)).Data.FirstOrDefault();
                    if (served?.Version == version) return;
                    seen = served is null ? "no model" : $"{served.Id} version {served.Version}";
                }
                // Down, restarting or busy: keep polling. Other answers (401, 404) are configuration errors and fail at once.
                catch (Exception e) when (e is HttpRequestException or BrokenCircuitException or Polly.Timeout.TimeoutRejectedException
                                              || e is ServiceCallException { Status: >= 500 or 429 })
                {
                    seen = $"an error: {e.Message}";
                }
                await Task.Delay(ServicePoll, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"service {cfg.Service} did not report version {version} (published to {Path.GetFullPath(cfg.ServiceModels!)}) " +
                                       $"within {ServiceWait.TotalSeconds:F0} s; last answer: {seen}. Is it `rft serve --model {cfg.ServiceModels}`?");
        }
    }
}
