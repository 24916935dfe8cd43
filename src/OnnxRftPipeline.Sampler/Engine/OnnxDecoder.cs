using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Runtime;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// One ONNX Runtime session of a decoder graph with GenAI's interface: input_ids/attention_mask/position_ids
/// plus past_key_values.N.{key,value} [B,kvH,P,D] in, logits [B,S,V] and present.N.{key,value} [B,kvH,P+S,D] out.
/// Dimensions are read from the graph itself, so the engine needs no side channel to run a model.
/// </summary>
public sealed class OnnxDecoder : IDisposable
{
    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly string[] _inputNames;
    readonly string[] _outputNames;
    readonly OrtValue[] _inputs;
    readonly OrtIoBinding? _binding;
    long _runTicks;

    public int Layers { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }
    public int VocabSize { get; }
    public bool HasPositionIds { get; }
    /// <summary>
    /// The graph writes each step's keys/values in place (GroupQueryAttention), so one preallocated max-length buffer
    /// per layer is bound as both past and present (<see cref="RunInPlace"/>): no per-step cache copy or allocation.
    /// Comes from genai_config's search.past_present_share_buffer (contrib and standard-inplace exports).
    /// </summary>
    public bool SharesPastPresent { get; }
    /// <summary>
    /// Wall time spent inside ONNX Runtime's Run calls since the decoder was opened (summed over callers), so a benchmark
    /// can tell a generation step's ORT time from the engine's own work around it (sampling, cache copies, inputs).
    /// </summary>
    public TimeSpan RunTime => TimeSpan.FromSeconds(Interlocked.Read(ref _runTicks) / (double)Stopwatch.Frequency);

    public OnnxDecoder(string modelPath, int threads = 0, DecoderIo? io = null, bool sharePastPresent = false, bool spinWait = true,
        ComputeDevice device = ComputeDevice.Cpu)
    {
        io ??= new DecoderIo();
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: model file not found", modelPath);
        using var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        // ORT's intra-op threads busy-wait between kernels by default, and that is kept: on a quiet 2-core machine
        // (`scripts/bench sample`, small preset) spinning decoded 3-18 % faster at batch 1 and 11-30 % at batch 8
        // (mixed at 64). On cores shared with other work the spinning thread competes with the one doing the work
        // (2-2.5x slower steps under load, and it starves TorchSharp in the same process): spinWait = false blocks.
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", spinWait ? "1" : "0");
        // cuda: ORT's CUDA provider, or an error naming what is missing. The engine's tensors stay in host memory, so ORT copies
        // inputs and the cache to the device and back each step: correct, not yet fast (device-resident binding is future work).
        ExecutionProviders.Append(so, device);
        try { _session = new InferenceSession(modelPath, so); }
        // A truncated, empty or foreign file: ONNX Runtime's protobuf error, said as the file's problem (not a crash).
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{modelPath}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})"); }
        var inputs = _session.InputMetadata;
        while (inputs.ContainsKey(DecoderIo.Name(io.PastKey, Layers))) Layers++;
        if (Layers == 0 || !inputs.ContainsKey(io.InputIds) || !_session.OutputMetadata.ContainsKey(io.Logits))
            throw new InvalidDataException($"{modelPath}: not a decoder with GenAI's interface (needs {io.InputIds}, {DecoderIo.Name(io.PastKey, 0)}, … and output {io.Logits})");
        var kv = inputs[DecoderIo.Name(io.PastKey, 0)].Dimensions;
        KvHeads = kv[1];
        HeadDim = kv[3];
        VocabSize = _session.OutputMetadata[io.Logits].Dimensions[2];
        if (KvHeads <= 0 || HeadDim <= 0 || VocabSize <= 0)
            throw new InvalidDataException($"{modelPath}: KV heads, head size and vocabulary must be static in the graph");
        HasPositionIds = inputs.ContainsKey(io.PositionIds);

        var names = new List<string> { io.InputIds, io.AttentionMask };
        if (HasPositionIds) names.Add(io.PositionIds);
        for (int l = 0; l < Layers; l++) { names.Add(DecoderIo.Name(io.PastKey, l)); names.Add(DecoderIo.Name(io.PastValue, l)); }
        _inputNames = names.ToArray();
        var outs = new List<string> { io.Logits };
        for (int l = 0; l < Layers; l++) { outs.Add(DecoderIo.Name(io.PresentKey, l)); outs.Add(DecoderIo.Name(io.PresentValue, l)); }
        _outputNames = outs.ToArray();
        _inputs = new OrtValue[_inputNames.Length];
        SharesPastPresent = sharePastPresent;
        if (sharePastPresent) _binding = _session.CreateIoBinding();
    }

    /// <summary>A model folder's decoder with the I/O names and cache sharing its genai_config.json declares.</summary>
    public static OnnxDecoder Open(OnnxRftPipeline.Contracts.Models.ModelFolder model, int threads = 0, bool spinWait = true,
        ComputeDevice device = ComputeDevice.Cpu)
    {
        if (threads < 0) throw new ArgumentException($"threads must be 0 (all cores) or more, got {threads}");
        var d = new OnnxDecoder(model.ModelPath, threads, model.Decoder.ToDecoderIo(), model.Config.Search.PastPresentShareBuffer, spinWait, device);
        // genai_config.json describes the graph; a folder whose config and graph disagree is refused when opened, naming both.
        var cfgPath = Path.Combine(model.Dir, OnnxRftPipeline.Contracts.Models.GenAiConfig.FileName);
        string? bad = model.Config.Model.VocabSize != d.VocabSize ? $"model.vocab_size {model.Config.Model.VocabSize}, the graph's logits have {d.VocabSize} columns"
            : model.Decoder.NumHiddenLayers != d.Layers ? $"model.decoder.num_hidden_layers {model.Decoder.NumHiddenLayers}, the graph has {d.Layers} layers of cache"
            : model.Decoder.NumKeyValueHeads != d.KvHeads ? $"model.decoder.num_key_value_heads {model.Decoder.NumKeyValueHeads}, the graph's cache has {d.KvHeads}"
            : model.Decoder.HeadSize != d.HeadDim ? $"model.decoder.head_size {model.Decoder.HeadSize}, the graph's cache has {d.HeadDim}"
            : null;
        if (bad is null) return d;
        d.Dispose();
        throw new InvalidDataException($"{cfgPath}: disagrees with {model.ModelPath}: {bad}");
    }

    /// <summary>
    /// Runs one forward pass. <paramref name="past"/> holds 2×Layers values (key, value per layer). The result's
    /// element 0 is logits, then present key/value per layer; the caller disposes it when done with the cache.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(OrtValue inputIds, OrtValue attentionMask, OrtValue? positionIds, IReadOnlyList<OrtValue> past)
    {
        int i = 0;
        _inputs[i++] = inputIds;
        _inputs[i++] = attentionMask;
        if (HasPositionIds) _inputs[i++] = positionIds ?? throw new ArgumentNullException(nameof(positionIds));
        for (int j = 0; j < past.Count; j++) _inputs[i++] = past[j];
        long start = Stopwatch.GetTimestamp();
        try { return _session.Run(_runOptions, _inputNames, _inputs, _outputNames); }
        finally { Interlocked.Add(ref _runTicks, Stopwatch.GetTimestamp() - start); }
    }

    /// <summary>
    /// One step with each <paramref name="cache"/> value [B,kvH,maxLen,D] bound as both past and present (updated in
    /// place) and logits written into <paramref name="logits"/> [B,S,V]: the caller owns every buffer, ORT allocates none.
    /// </summary>
    public void RunInPlace(OrtValue inputIds, OrtValue attentionMask, OrtValue? positionIds, IReadOnlyList<OrtValue> cache, OrtValue logits)
    {
        var b = _binding ?? throw new InvalidOperationException("decoder was not opened with a shared past/present buffer");
        b.ClearBoundInputs();
        b.ClearBoundOutputs();
        int i = 0;
        b.BindInput(_inputNames[i++], inputIds);
        b.BindInput(_inputNames[i++], attentionMask);
        if (HasPositionIds) b.BindInput(_inputNames[i++], positionIds ?? throw new ArgumentNullException(nameof(positionIds)));
        b.BindOutput(_outputNames[0], logits);
        for (int j = 0; j < cache.Count; j++)
        {
            b.BindInput(_inputNames[i + j], cache[j]);
            b.BindOutput(_outputNames[1 + j], cache[j]);
        }
        long start = Stopwatch.GetTimestamp();
        try { _session.RunWithBinding(_runOptions, b); }
        finally { Interlocked.Add(ref _runTicks, Stopwatch.GetTimestamp() - start); }
    }

    /// <summary>
    /// A forward pass with no cache (past of length P = 0, as the first step of GenAI's protocol is fed): a prefill,
    /// or a no-cache step. The batch size is read from <paramref name="inputIds"/>; disposal is as for <see cref="Run"/>.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> RunWithoutPast(OrtValue inputIds, OrtValue attentionMask, OrtValue? positionIds)
    {
        long batch = inputIds.GetTensorTypeAndShape().Shape[0];
        var past = new OrtValue[2 * Layers];
        try
        {
            for (int j = 0; j < past.Length; j++)
                past[j] = OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [batch, KvHeads, 0, HeadDim]);
            return Run(inputIds, attentionMask, positionIds, past);
        }
        finally
        {
            foreach (var p in past) p?.Dispose();
        }
    }

    public void Dispose()
    {
        _binding?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
