using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Sampler.Engine;

namespace OnnxRftPipeline.Service.Models;

/// <summary>
/// One model version with its ONNX Runtime session. Batches take a lease for as long as they decode; a retired
/// model is disposed when its last lease ends, so a hot swap never pulls a session out from under a batch.
/// </summary>
public sealed class LoadedModel
{
    readonly OnnxDecoder _decoder;
    int _leases = 1;           // the registry's own reference, released by Retire()
    int _disposed;

    public ModelFolder Folder { get; }
    /// <summary>The session, for the service's continuous batch (valid while a lease is held).</summary>
    public OnnxDecoder Decoder => _decoder;
    public string Name => Folder.Info.ModelName;
    public string Version => Folder.Info.ModelVersion;
    public int ContextLength => Folder.Config.Model.ContextLength;
    public DateTimeOffset LoadedAt { get; } = DateTimeOffset.UtcNow;
    public bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    LoadedModel(ModelFolder folder, OnnxDecoder decoder)
    {
        Folder = folder;
        _decoder = decoder;
    }

    public static LoadedModel Load(string versionDir, int threads, ComputeDevice device = ComputeDevice.Cpu)
    {
        var folder = ModelFolder.Load(versionDir);
        // Continuous batching keeps rows right-aligned with masked holes on the left; a graph that updates a shared
        // past/present buffer in place (GroupQueryAttention) takes each row's tokens as one contiguous run instead.
        if (folder.Config.Search.PastPresentShareBuffer)
            throw new NotSupportedException($"{folder.Dir}: genai_config.json declares search.past_present_share_buffer (an in-place KV cache export); " +
                "the service needs a standard export (rft export --ops standard)");
        // Open, not the constructor: the folder's genai_config sizes are checked against the graph, as for rft sample.
        return new LoadedModel(folder, OnnxDecoder.Open(folder, threads, device: device));
    }

    /// <summary>A lease, or null when the model was retired and drained meanwhile (the caller asks the registry again).</summary>
    public Lease? TryAcquire()
    {
        while (true)
        {
            int n = Volatile.Read(ref _leases);
            if (n == 0) return null;
            if (Interlocked.CompareExchange(ref _leases, n + 1, n) == n) return new Lease(this);
        }
    }

    /// <summary>Drops the registry's reference: the session is disposed once in-flight batches are done with it.</summary>
    public void Retire() => Release();

    void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Interlocked.Exchange(ref _disposed, 1) == 0) _decoder.Dispose();
    }

    public sealed class Lease(LoadedModel model) : IDisposable
    {
        int _released;
        public LoadedModel Model { get; } = model;
        public void Dispose() { if (Interlocked.Exchange(ref _released, 1) == 0) Model.Release(); }
    }
}
