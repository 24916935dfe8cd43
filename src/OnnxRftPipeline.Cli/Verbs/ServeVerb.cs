using OnnxRftPipeline.Sampler.Engine;
using System.CommandLine;
using System.Runtime.InteropServices;
using OnnxRftPipeline.Service.Hosting;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft serve`: the OpenAI-compatible generator service over a model registry folder.</summary>
public static class ServeVerb
{
    public const string Name = "serve";

    public static Command Create()
    {
        var model = Opt.Required<string>("--model", "models/NAME (newest version served, newer ones swapped in) or one version folder.");
        var host = Opt.With("--host", "127.0.0.1", "Address to bind. Anything but loopback needs --api-key-env.");
        var port = Opt.With("--port", 8080, "TCP port (0 = any free port).");
        var keyEnv = Opt.Optional<string>("--api-key-env", "Environment variable holding the API key clients send as 'Authorization: Bearer KEY'.");
        var dataRoot = Opt.Optional<string>("--data-root", "Folder that sampling-job paths must resolve into (enables /v1/sampling-jobs).");
        var batch = Opt.With("--max-batch-rows", 32, "Most candidate rows decoded together.");
        var window = Opt.With("--batch-window-ms", 5, "When the decode loop is idle, how long a first request waits for others to share its prefill.");
        var queue = Opt.With("--queue-capacity", 64, "Requests waiting for a batch before new ones get 429.");
        var body = Opt.With("--max-body-bytes", 1L << 20, "Largest request body accepted (413 above).");
        var timeout = Opt.With("--request-timeout-s", 120, "A request unanswered after this is cancelled (504).");
        var grace = Opt.Optional<int?>("--shutdown-grace", "Seconds the accepted requests get to be answered after SIGTERM or Ctrl+C; the rest then get 503 (default: --request-timeout-s, enough for a full queue).");
        var poll = Opt.With("--model-poll-s", 5, "How often models/NAME is checked for a new version.");
        var threads = Opt.With("--threads", 0, "ONNX Runtime intra-op threads (0 = all cores).");
        var engine = new EngineFlags();
        var logPrompts = Opt.Flag("--log-prompts", "Log prompt and completion text (off by default).");
        var cmd = new Command(Name, "Serve a model over HTTP: OpenAI-compatible /v1/completions, sampling jobs, health and metrics.")
            .With([model, host, port, keyEnv, dataRoot, batch, window, queue, body, timeout, grace, poll, threads, .. engine.Options, logPrompts]);
        cmd.SetAction(async (p, ct) =>
        {
            string? key = null;
            if (p.GetValue(keyEnv) is { } name)
            {
                key = Environment.GetEnvironmentVariable(name);
                if (string.IsNullOrEmpty(key)) throw new UserInputException($"--api-key-env {name}: the environment variable is not set or empty");
            }
            // The service's continuous batching (requests join between decode steps, sampling jobs share the loop) is the native
            // engine's; genai has no way to add rows to a running generator (its Engine is C API only and needs a paged graph).
            if (engine.ReadEngine(p) != EngineKind.Native)
                throw new UserInputException("--engine genai: rft serve batches requests continuously, which only the native engine can; " +
                                             "use --engine native (the default), or rft sample/eval --engine genai for batch jobs");
            var options = new ServiceOptions
            {
                Model = p.GetValue(model)!, Host = p.GetValue(host)!, Port = p.GetValue(port), ApiKey = key, DataRoot = p.GetValue(dataRoot),
                MaxBatchRows = p.GetValue(batch), BatchWindow = TimeSpan.FromMilliseconds(p.GetValue(window)), QueueCapacity = p.GetValue(queue),
                MaxRequestBodyBytes = p.GetValue(body), RequestTimeout = TimeSpan.FromSeconds(p.GetValue(timeout)),
                ShutdownGrace = p.GetValue(grace) is { } g ? TimeSpan.FromSeconds(g) : null,
                ModelPollInterval = TimeSpan.FromSeconds(Math.Max(1, p.GetValue(poll))), Threads = p.GetValue(threads), Device = engine.ReadDevice(p), LogPrompts = p.GetValue(logPrompts),
            };
            await using var service = await ServiceHost.StartAsync(options, ct: ct);
            AnsiConsole.MarkupLineInterpolated($"[green]serving[/] {service.Models.Current.Name}/{service.Models.Current.Version} on {service.BaseAddress} (auth: {(key is null ? "none, loopback only" : "API key")}) — Ctrl+C to stop");
            // SIGTERM (Kubernetes, systemd) stops as gracefully as Ctrl+C: accepted requests are answered first, for up
            // to --shutdown-grace. CliHost leaves this verb's signals to it (ProcessTerminationTimeout off, see there).
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            await service.WaitForShutdownAsync(stop.Token);
            AnsiConsole.MarkupLine("stopped.");
            return CliHost.Ok;
        });
        return cmd;
    }
}
