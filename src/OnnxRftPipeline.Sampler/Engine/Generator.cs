using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine;

/// <summary>
/// Batched generation over an <see cref="OnnxDecoder"/> following GenAI's batching rules: right padding with
/// the pad id, attention mask 0 on pads, position = index among a row's real tokens, logits read at each
/// row's last real token, one mask column appended per step. Beyond GenAI: the K candidates of a prompt share
/// one prefill, and finished rows are dropped from the batch (their cache rows are compacted away).
/// The offline driver of the one generation core: rows (<see cref="DecodeRow"/>), the prefill (<see cref="Prefill"/>) and
/// the sampling and finishing rules (<see cref="DecodeStep"/>) are those <see cref="ContinuousBatch"/> uses; this class owns
/// only the grouping of prompts and the cache layout of a batch that nobody joins (plus the in-place-cache fast path).
/// </summary>
public sealed partial class Generator(OnnxDecoder decoder, ITokenizer tokenizer, GeneratorOptions? options = null) : IGenerationEngine
{
    readonly GeneratorOptions _o = options ?? new GeneratorOptions();
    readonly DecodeStep _step = new(decoder.VocabSize, tokenizer, (options ?? new GeneratorOptions()).ContextLength);

    /// <summary>Generates every candidate of every prompt; yields them group by group in input order.</summary>
    public IEnumerable<Generation> Generate(IReadOnlyList<PromptRequest> prompts, SamplingSettings s,
        CancellationToken ct = default, Action<int>? onTokens = null)
    {
        s.Validate();
        var stops = _step.StopTokens(s);
        foreach (var group in Groups(prompts))
        {
            ct.ThrowIfCancellationRequested();
            var rows = new List<DecodeRow>();
            foreach (var (p, pi) in group.Select((p, i) => (p, i)))
            {
                _step.CheckPrompt(p);
                for (int k = 0; k < p.Candidates; k++) rows.Add(new DecodeRow(p, k, s, stops, prompt: pi));
            }
            if (_o.UseCache && decoder.SharesPastPresent) RunCachedInPlace(group, rows, s, ct, onTokens);
            else if (_o.UseCache) RunCached(group, rows, s, ct, onTokens);
            else RunUncached(rows, ct, onTokens);
            foreach (var r in rows) yield return r.ToGeneration();
        }
    }

    IEnumerable<List<PromptRequest>> Groups(IReadOnlyList<PromptRequest> prompts)
    {
        var group = new List<PromptRequest>();
        int rows = 0;
        foreach (var p in prompts)
        {
            DecodeStep.CheckCandidates(p);
            if (group.Count > 0 && rows + p.Candidates > _o.MaxBatchRows) { yield return group; group = []; rows = 0; }
            group.Add(p);
            rows += p.Candidates;
        }
        if (group.Count > 0) yield return group;
    }

    /// <summary>
    /// The prefill both cached paths share: one forward pass over the prompts (one unit per prompt when the prefill
    /// is shared, one per candidate row otherwise) and every row's first token, sampled at its unit's last real
    /// position. Returns the outputs (logits, then each layer's present key and value) for the caller to take its
    /// cache from and dispose; <paramref name="active"/> lists the rows still generating.
    /// </summary>
    IDisposableReadOnlyCollection<OrtValue> SharedPrefill(List<PromptRequest> group, List<DecodeRow> rows,
        Action<int>? onTokens, out int[] unitOfRow, out int width, out List<int> active)
    {
        int v = decoder.VocabSize;
        unitOfRow = rows.Select((r, i) => _o.SharedPrefill ? r.Prompt : i).ToArray();
        var unitTokens = _o.SharedPrefill ? group.Select(p => p.Tokens).ToArray() : rows.Select(r => r.Request.Tokens).ToArray();
        var outputs = Prefill.Run(decoder, unitTokens, tokenizer.PadId, out width);
        try
        {
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            active = [];
            for (int r = 0; r < rows.Count; r++)
            {
                int u = unitOfRow[r];
                _step.Next(rows[r], Prefill.LastLogits(logits, u, width, unitTokens[u].Length, v));
                if (rows[r].Finish is null) active.Add(r);
            }
            onTokens?.Invoke(rows.Count);
            return outputs;
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One decode step's inputs for the active rows over a cache of length <paramref name="t"/>: each row's last
    /// token, its position, and a mask of t + 1 columns that is 1 on the row's prompt and on every column from the
    /// padded prompt width on (generated tokens), 0 on the row's prompt padding.
    /// </summary>
    static void FillStepInputs(List<DecodeRow> rows, List<int> active, int t, int width, long[] ids, long[] pos, long[] mask)
    {
        for (int i = 0; i < active.Count; i++)
        {
            var row = rows[active[i]];
            ids[i] = row.Last;
            pos[i] = row.PromptLength + row.Sampled - 1;
            for (int c = 0; c <= t; c++)
                mask[i * (t + 1) + c] = c < row.PromptLength || c >= width ? 1 : 0;
        }
    }

    void RunCached(List<PromptRequest> group, List<DecodeRow> rows, SamplingSettings s, CancellationToken ct, Action<int>? onTokens)
    {
        int kvH = decoder.KvHeads, d = decoder.HeadDim, v = decoder.VocabSize;
        IReadOnlyList<OrtValue> past;
        IDisposable pastOwner;
        int[] unitOfRow;
        int width;
        List<int> active;
        using (var outputs = SharedPrefill(group, rows, onTokens, out unitOfRow, out width, out active))
        {
            // Copy each active row's prompt cache out of its prefill unit: the shared-prefill fan-out.
            var gathered = GatherRows(outputs.Skip(1).ToArray(), active.Select(r => unitOfRow[r]).ToArray(), kvH, width, d);
            past = gathered;
            pastOwner = new Owner(gathered);
        }

        int t = width;                        // current cache length
        var maskBuf = new long[rows.Count * (width + s.MaxNewTokens + 1)];
        var idBuf = new long[rows.Count];
        var posBuf = new long[rows.Count];
        try
        {
            while (active.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                int a = active.Count;
                FillStepInputs(rows, active, t, width, idBuf, posBuf, maskBuf);
                IDisposableReadOnlyCollection<OrtValue> outputs;
                using (var idsV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, idBuf.AsMemory(0, a), [a, 1]))
                using (var maskV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, maskBuf.AsMemory(0, a * (t + 1)), [a, t + 1]))
                using (var posV = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, posBuf.AsMemory(0, a), [a, 1]))
                    outputs = decoder.Run(idsV, maskV, posV, past);
                pastOwner.Dispose();
                t++;
                var logits = outputs[0].GetTensorDataAsSpan<float>();
                var still = new List<int>(a);
                var keep = new List<int>(a);
                for (int i = 0; i < a; i++)
                {
                    var row = rows[active[i]];
                    _step.Next(row, logits.Slice(i * v, v));
                    if (row.Finish is null) { still.Add(active[i]); keep.Add(i); }
                }
                onTokens?.Invoke(a);
                var presents = outputs.Skip(1).ToArray();
                if (still.Count == a) { past = presents; pastOwner = outputs; }
                else
                {
                    // Finished rows stop costing work: drop their cache rows.
                    var gathered = still.Count > 0 ? GatherRows(presents, keep.ToArray(), kvH, t, d) : [];
                    outputs.Dispose();
                    past = gathered;
                    pastOwner = new Owner(gathered);
                }
                active = still;
            }
        }
        finally { pastOwner.Dispose(); }
    }

    /// <summary>The no-cache baseline: every step re-runs the full prompt + generated sequence.</summary>
    void RunUncached(List<DecodeRow> rows, CancellationToken ct, Action<int>? onTokens)
    {
        int v = decoder.VocabSize;
        // Rows still running have no eos or removed stop sequence yet, so prompt + Tokens is exactly what was fed.
        var active = Enumerable.Range(0, rows.Count).ToList();
        while (active.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            int a = active.Count;
            var seqs = active.Select(r => rows[r].Request.Tokens.Concat(rows[r].Tokens).ToArray()).ToArray();
            using var outputs = Prefill.Run(decoder, seqs, tokenizer.PadId, out int width);
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            var still = new List<int>(a);
            for (int i = 0; i < a; i++)
            {
                var row = rows[active[i]];
                _step.Next(row, Prefill.LastLogits(logits, i, width, seqs[i].Length, v));
                if (row.Finish is null) still.Add(active[i]);
            }
            onTokens?.Invoke(a);
            active = still;
        }
    }

    /// <summary>New cache tensors holding the given batch rows of each source tensor [B,kvH,T,D].</summary>
    static OrtValue[] GatherRows(IReadOnlyList<OrtValue> source, int[] rows, int kvH, int t, int d)
    {
        int slab = kvH * t * d;
        var result = new OrtValue[source.Count];
        for (int j = 0; j < source.Count; j++)
        {
            var src = source[j].GetTensorDataAsSpan<float>();
            var dst = new float[rows.Length * slab];
            for (int i = 0; i < rows.Length; i++) src.Slice(rows[i] * slab, slab).CopyTo(dst.AsSpan(i * slab, slab));
            result[j] = OrtValue.CreateTensorValueFromMemory(dst, [rows.Length, kvH, t, d]);
        }
        return result;
    }

    sealed class Owner(OrtValue[] values) : IDisposable
    {
        public void Dispose() { foreach (var x in values) x.Dispose(); }
    }
}
