using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Continuous batching for a long-running service: prompts are admitted between decode steps instead of waiting
/// for the running batch to end, each row has its own sampling settings, and finished or withdrawn rows leave at
/// the next step. Same numbers as <see cref="Generator"/>: a candidate's random stream is derived from
/// (settings seed, prompt id, candidate index), prefill is shared by a prompt's candidates and uses GenAI's right
/// padding. Joining works by keeping each row's cache right-aligned: row r owns cache columns [Start_r, T), its mask
/// is 1 there and 0 to the left, and its positions are its own. A joining prompt's prefill cache is copied into the
/// last columns (the batch is widened on the left when the prompt is longer than the cache); when rows leave, the
/// columns no remaining row owns are trimmed. Leaving rows are compacted away lazily, in the same copy as the next
/// join or before the next step, so a step where rows both leave and join copies the cache once, not twice.
/// The service's driver of the one generation core: rows, prefill and the sampling and finishing rules are the ones
/// <see cref="Generator"/> uses (<see cref="DecodeRow"/>, <see cref="Prefill"/>, <see cref="DecodeStep"/>); this class owns
/// only the right-aligned cache that lets rows join and leave.
/// Not thread-safe: one decode loop drives it. A decoder of an in-place cache export (<see cref="OnnxDecoder.SharesPastPresent"/>)
/// is refused: GroupQueryAttention takes each row's tokens as one run from column 0, so the right-aligned rows would attend
/// to the wrong keys (measured: 8 of 7,200 candidates matched the batch generator's), and the service refuses such exports too.
/// </summary>
public sealed class ContinuousBatch(OnnxDecoder decoder, ITokenizer tokenizer, int contextLength = int.MaxValue) : IDisposable
{
    readonly DecodeStep _step = new(Supported(decoder).VocabSize, tokenizer, contextLength);   // the first initializer: refuses before any state exists
    readonly List<DecodeRow> _rows = [];
    OrtValue[] _past = [];
    IDisposable? _pastOwner;
    int _t;          // cache length (columns)
    bool _stale;     // the cache still holds rows that left: compact before the next forward pass

    static OnnxDecoder Supported(OnnxDecoder d) => d.SharesPastPresent
        ? throw new NotSupportedException("continuous batching needs a standard export (rft export --ops Standard): this decoder's graph " +
                                          "updates a shared past/present buffer in place (genai_config search.past_present_share_buffer)")
        : d;

    /// <summary>A candidate that finished, with the tag of the request it belongs to.</summary>
    public readonly record struct Finished(object Tag, Generation Generation);

    /// <summary>Candidate rows decoding now.</summary>
    public int ActiveRows => _rows.Count;

    /// <summary>Current cache length in columns (for tests: trimming keeps it from growing without bound).</summary>
    public int CacheLength => _t;

    /// <summary>
    /// Prefills the prompts (one shared prefill per prompt for its Candidates rows) and adds their rows to the batch.
    /// Returns rows that finished on their first token. Validates everything before changing any state.
    /// </summary>
    public IReadOnlyList<Finished> Admit(IReadOnlyList<(object Tag, PromptRequest Request, SamplingSettings Settings)> items)
    {
        if (items.Count == 0) return [];
        foreach (var (_, p, s) in items)
        {
            s.Validate();
            DecodeStep.CheckCandidates(p);
            _step.CheckPrompt(p);
        }
        int v = decoder.VocabSize;
        var finished = new List<Finished>();
        var joining = new List<(DecodeRow Row, int Unit)>();
        using var outputs = Prefill.Run(decoder, items.Select(x => x.Request.Tokens).ToArray(), tokenizer.PadId, out int width);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        for (int u = 0; u < items.Count; u++)
        {
            var (tag, p, s) = items[u];
            var stops = _step.StopTokens(s);
            for (int k = 0; k < p.Candidates; k++)
            {
                var row = new DecodeRow(p, k, s, stops, tag);
                _step.Next(row, Prefill.LastLogits(logits, u, width, p.Tokens.Length, v));
                if (row.Finish is null) joining.Add((row, u));
                else finished.Add(Done(row));
            }
        }
        if (joining.Count > 0) Rebuild(outputs.Skip(1).ToArray(), width, joining);
        return finished;
    }

    /// <summary>One forward pass for every active row. Returns the rows that finished in it.</summary>
    public IReadOnlyList<Finished> Step()
    {
        if (_rows.Count == 0) return [];
        if (_stale) Rebuild([], 0, []);
        int a = _rows.Count, v = decoder.VocabSize;
        var ids = new long[a];
        var pos = new long[a];
        var mask = new long[a * (_t + 1)];
        for (int i = 0; i < a; i++)
        {
            var row = _rows[i];
            ids[i] = row.Last;
            pos[i] = row.PromptLength + row.Sampled - 1;
            for (int c = row.Start; c <= _t; c++) mask[i * (_t + 1) + c] = 1;
        }
        IDisposableReadOnlyCollection<OrtValue> outputs;
        using (var idsV = OrtValue.CreateTensorValueFromMemory(ids, [a, 1]))
        using (var maskV = OrtValue.CreateTensorValueFromMemory(mask, [a, _t + 1]))
        using (var posV = OrtValue.CreateTensorValueFromMemory(pos, [a, 1]))
            outputs = decoder.Run(idsV, maskV, posV, _past);
        _pastOwner?.Dispose();
        _t++;
        _past = outputs.Skip(1).ToArray();
        _pastOwner = outputs;
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        var finished = new List<Finished>();
        for (int i = 0; i < a; i++)
        {
            _step.Next(_rows[i], logits.Slice(i * v, v));
            if (_rows[i].Finish is not null) finished.Add(Done(_rows[i]));
        }
        if (finished.Count > 0) Leave(r => r.Finish is not null);
        return finished;
    }

    /// <summary>Withdraws every row admitted with a tag equal to <paramref name="tag"/> (its client went away): they stop costing work from the next step.</summary>
    public int Remove(object tag)
    {
        int before = _rows.Count;
        Leave(r => Equals(r.Tag, tag));
        return before - _rows.Count;
    }

    static Finished Done(DecodeRow r) => new(r.Tag!, r.ToGeneration());

    /// <summary>Drops rows from the batch; their cache rows are compacted away by the next rebuild.</summary>
    void Leave(Predicate<DecodeRow> leaving)
    {
        if (_rows.RemoveAll(leaving) == 0) return;
        if (_rows.Count == 0) { Replace([], 0); _stale = false; }
        else _stale = true;
    }

    /// <summary>
    /// New cache tensors holding the remaining rows and the joining ones, every row right-aligned: columns no row
    /// owns are trimmed on the left, and the cache is as wide as the longest joining prompt if that is wider.
    /// </summary>
    void Rebuild(OrtValue[] prefill, int prefillWidth, List<(DecodeRow Row, int Unit)> joining)
    {
        int kvH = decoder.KvHeads, d = decoder.HeadDim;
        int from = _rows.Count > 0 ? _rows.Min(r => r.Start) : _t;
        int kept = _t - from;
        int width = Math.Max(kept, joining.Count > 0 ? joining.Max(j => j.Row.PromptLength) : 0);
        int shift = width - kept, total = _rows.Count + joining.Count;
        int tensors = _rows.Count > 0 ? _past.Length : prefill.Length;
        var rebuilt = new OrtValue[tensors];
        var buffers = new float[tensors][];
        int size = total * kvH * width * d;
        for (int j = 0; j < tensors; j++)
        {
            // Rebuilt caches are large and short-lived: pooled buffers spare the large-object heap (and RSS) the churn.
            // A rented buffer holds old data: each row's masked columns (left of its start) are zeroed, since a
            // masked column gets weight exactly 0 and 0 × NaN would still poison the sum.
            var dst = buffers[j] = ArrayPool<float>.Shared.Rent(size);
            if (_rows.Count > 0)
            {
                var old = _past[j].GetTensorDataAsSpan<float>();
                for (int n = 0; n < _rows.Count; n++)
                {
                    var row = _rows[n];
                    int start = row.Start - from + shift;
                    for (int h = 0; h < kvH; h++)
                    {
                        int at = (n * kvH + h) * width * d;
                        dst.AsSpan(at, start * d).Clear();
                        old.Slice(((row.Slot * kvH + h) * _t + row.Start) * d, (_t - row.Start) * d).CopyTo(dst.AsSpan(at + start * d));
                    }
                }
            }
            if (joining.Count > 0)
            {
                var src = prefill[j].GetTensorDataAsSpan<float>();
                for (int n = 0; n < joining.Count; n++)
                {
                    var (row, u) = joining[n];
                    int r = _rows.Count + n, len = row.PromptLength;
                    for (int h = 0; h < kvH; h++)
                    {
                        int at = (r * kvH + h) * width * d;
                        dst.AsSpan(at, (width - len) * d).Clear();
                        src.Slice(((u * kvH + h) * prefillWidth) * d, len * d).CopyTo(dst.AsSpan(at + (width - len) * d));
                    }
                }
            }
            rebuilt[j] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, dst.AsMemory(0, size), [total, kvH, width, d]);
        }
        foreach (var r in _rows) r.Start += shift - from;
        foreach (var (row, _) in joining) { row.Start = width - row.PromptLength; _rows.Add(row); }
        for (int n = 0; n < _rows.Count; n++) _rows[n].Slot = n;
        Replace(rebuilt, width, buffers);
        _stale = false;
    }

    void Replace(OrtValue[] past, int width, float[][]? pooled = null)
    {
        _pastOwner?.Dispose();
        _past = past;
        _pastOwner = new Owner(past, pooled);
        _t = width;
    }

    public void Dispose()
    {
        _pastOwner?.Dispose();
        _pastOwner = null;
        _past = [];
        _rows.Clear();
    }

    /// <summary>Disposes cache values, then returns their pooled buffers (never while a value still points at them).</summary>
    sealed class Owner(OrtValue[] values, float[][]? pooled) : IDisposable
    {
        public void Dispose()
        {
            foreach (var x in values) x.Dispose();
            if (pooled is not null) foreach (var b in pooled) ArrayPool<float>.Shared.Return(b);
        }
    }
}
