using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Sampler.Engine.GenAi;

/// <summary>
/// The onnxruntime-genai engine (<c>--engine genai</c>): the same model folder, the same prompt ids (the product's tokenizer,
/// bos included where it adds one) and the same finishing rules as the native <see cref="Generator"/>, decoded by GenAI's
/// <see cref="Microsoft.ML.OnnxRuntimeGenAI.Generator"/> as its API allows:
/// <list type="bullet">
/// <item>num_return_sequences must be 1 when sampling, so K candidates are K rows, each with its own prefill (the native
/// engine prefills a prompt once). Several prompts share a generator up to <see cref="GenAiOptions.MaxBatchRows"/> rows
/// (GenAI's limit is 32); a prompt with more candidates spans generators.</item>
/// <item>Rows are right-padded with the pad id (GenAI masks only trailing pads). Tokens are read each step with
/// GetNextTokens, not from GetSequence, which leaves out the eos of a row that ends on the generator's last step.</item>
/// <item>The product's rules finish each row (eos = <see cref="ITokenizer.StopIds"/>, stop strings cut from the tokens, max new
/// tokens, the model's context) and name it "eos", "stop" or "length"; GenAI's own max_length is only the group's bound.
/// A group whose longest prompt plus max new tokens would pass the context takes that prompt alone, so a row never ends
/// earlier than its own context allows.</item>
/// <item>Log-probabilities come from GetOutput("logits") after each step: the log-softmax of the raw logits at the chosen
/// token (the untempered distribution, as the native engine reports).</item>
/// </list>
/// <para><b>Seeds and reproducibility.</b> GenAI has one random seed per generator (search option random_seed), not one per
/// candidate. It is derived from (settings seed, the group's first prompt id, that prompt's first candidate index in the
/// group), so the same prompts in the same order with the same settings, MaxBatchRows and model draw the same candidates.
/// But a candidate's text depends on its batch-mates: reordering prompts, changing MaxBatchRows, sharding (a shard groups
/// only its own prompts) or resuming after a partial part file regroups prompts and draws different candidates. Under the
/// native engine a candidate depends only on (seed, prompt id, candidate index). Greedy decoding (temperature 0) is
/// the same under any grouping.</para>
/// </summary>
public sealed class GenAiGenerator : IGenerationEngine, IDisposable
{
    readonly Config _config;
    readonly Model _model;
    readonly ITokenizer _tokenizer;
    readonly GenAiOptions _o;
    readonly int _context, _pad, _rowsPerGenerator;
    /// <summary>The native engine's prompt checks and finishing rules (GenAI draws the tokens, the product ends the rows).</summary>
    readonly DecodeStep _step;

    public GenAiGenerator(ModelFolder folder, GenAiOptions? options = null)
    {
        _o = options ?? new GenAiOptions();
        if (_o.Threads < 0) throw new ArgumentException($"threads must be 0 (all cores) or more, got {_o.Threads}");
        if (_o.MaxBatchRows < 1) throw new ArgumentException($"genai batch rows must be >= 1, got {_o.MaxBatchRows}");
        _tokenizer = folder.Tokenizer;
        _context = folder.Config.Model.ContextLength;
        _step = new DecodeStep(folder.Config.Model.VocabSize, _tokenizer, _context);
        _pad = folder.Config.Model.PadTokenId;
        _rowsPerGenerator = Math.Min(_o.MaxBatchRows, GenAiOptions.MaxGeneratorRows);
        // GenAI ends a row on its own eos ids and pads it from then on; the product's rules must see every such end as "eos".
        var unknown = folder.Config.Model.EosTokenId.Where(e => !_tokenizer.StopIds.Contains(e)).ToArray();
        if (unknown.Length > 0)
            throw new InvalidDataException($"{Path.Combine(folder.Dir, GenAiConfig.FileName)}: model.eos_token_id {string.Join(",", unknown)} is not a stop id of the folder's tokenizer");

        _config = new Config(folder.Dir);
        try
        {
            _config.Overlay(SessionOverlay(_o).ToJsonString());
            if (_o.Device == ComputeDevice.Cuda)
            {
                _config.ClearProviders();
                _config.AppendProvider("cuda");
            }
            _model = new Model(_config);
        }
        catch (OnnxRuntimeGenAIException e) when (_o.Device == ComputeDevice.Cuda)
        {
            _config.Dispose();
            throw CudaUnavailable(e.Message);
        }
        catch
        {
            _config.Dispose();
            throw;
        }
    }

    /// <summary>
    /// GenAI's decoder session options as a genai_config overlay: intra-op threads (its default here is 1), one inter-op thread,
    /// and ORT's spinning switch, which GenAI passes to ORT as a session config entry (keys it does not know must be strings).
    /// </summary>
    static JsonObject SessionOverlay(GenAiOptions o) => new()
    {
        ["model"] = new JsonObject
        {
            ["decoder"] = new JsonObject
            {
                ["session_options"] = new JsonObject
                {
                    ["intra_op_num_threads"] = o.Threads > 0 ? o.Threads : Environment.ProcessorCount,
                    ["inter_op_num_threads"] = 1,
                    ["session.intra_op.allow_spinning"] = o.SpinWait ? "1" : "0",
                },
            },
        },
    };

    /// <summary>The user asked for cuda and GenAI could not give it: say what is missing, never run on the CPU instead.</summary>
    static Exception CudaUnavailable(string genAiMessage) => UserError.Mark(new InvalidOperationException(
        "--device cuda: onnxruntime-genai cannot use its cuda provider (" + genAiMessage.Split('\n')[0].Trim() + "). " +
        "This build carries GenAI's CPU natives (Microsoft.ML.OnnxRuntimeGenAI), which have no cuda provider; the CUDA flavour " +
        "(Microsoft.ML.OnnxRuntimeGenAI.Cuda, with a CUDA runtime and an NVIDIA driver) is not served by this package registry. " +
        "Use --engine native --device cuda (a -p:RftCuda=true build) or --device cpu."));

    public IEnumerable<Generation> Generate(IReadOnlyList<PromptRequest> prompts, SamplingSettings s,
        CancellationToken ct = default, Action<int>? onTokens = null)
    {
        s.Validate();
        foreach (var p in prompts)
        {
            DecodeStep.CheckCandidates(p);
            _step.CheckPrompt(p);
        }
        var stops = _step.StopTokens(s);
        // Groups are formed and finished in input order, so candidates come out prompt by prompt as the native engine yields them.
        var pending = new Dictionary<int, List<Generation>>();
        int nextPrompt = 0;
        foreach (var group in Groups(prompts, s.MaxNewTokens))
        {
            ct.ThrowIfCancellationRequested();
            foreach (var g in Run(prompts, group, s, stops, ct, onTokens))
            {
                int pi = g.Prompt;
                if (!pending.TryGetValue(pi, out var list)) pending[pi] = list = [];
                list.Add(g.Result);
            }
            while (nextPrompt < prompts.Count && pending.TryGetValue(nextPrompt, out var done) && done.Count == prompts[nextPrompt].Candidates)
            {
                foreach (var x in done.OrderBy(x => x.CandidateIndex)) yield return x;
                pending.Remove(nextPrompt++);
            }
        }
    }

    /// <summary>A run of candidates of one prompt that share a generator.</summary>
    readonly record struct Chunk(int Prompt, int FirstCandidate, int Count);

    /// <summary>
    /// Candidate rows packed into generators of at most <c>_rowsPerGenerator</c> rows, in input order. A prompt joins the current
    /// group only while the group's longest prompt plus max new tokens fits the context (else GenAI's max_length, one per
    /// generator, would end its shorter rows before their own context is full).
    /// </summary>
    IEnumerable<List<Chunk>> Groups(IReadOnlyList<PromptRequest> prompts, int maxNew)
    {
        var group = new List<Chunk>();
        int rows = 0, width = 0;
        for (int pi = 0; pi < prompts.Count; pi++)
        {
            int len = prompts[pi].Tokens.Length;
            for (int k = 0; k < prompts[pi].Candidates;)
            {
                bool fits = group.Count == 0 || (rows < _rowsPerGenerator && (long)Math.Max(width, len) + maxNew <= _context);
                if (!fits) { yield return group; group = []; rows = 0; width = 0; }
                int take = Math.Min(prompts[pi].Candidates - k, _rowsPerGenerator - rows);
                group.Add(new Chunk(pi, k, take));
                rows += take;
                width = Math.Max(width, len);
                k += take;
            }
        }
        if (group.Count > 0) yield return group;
    }

    IEnumerable<(int Prompt, Generation Result)> Run(IReadOnlyList<PromptRequest> prompts, List<Chunk> group, SamplingSettings s,
        int[][] stops, CancellationToken ct, Action<int>? onTokens)
    {
        var rows = group.SelectMany(c => Enumerable.Range(c.FirstCandidate, c.Count)
            .Select(k => new DecodeRow(prompts[c.Prompt], k, s, stops, prompt: c.Prompt))).ToList();
        int b = rows.Count, width = rows.Max(r => r.PromptLength);
        // The longest any row may run by its own rules; the grouping keeps width + steps within the context.
        int steps = rows.Max(r => Math.Min(s.MaxNewTokens, _context - r.PromptLength));
        var ids = new int[b * width];
        for (int i = 0; i < b; i++)
        {
            var t = prompts[rows[i].Prompt].Tokens;
            t.CopyTo(ids, i * width);
            ids.AsSpan(i * width + t.Length, width - t.Length).Fill(_pad);
        }

        using var p = new GeneratorParams(_model);
        p.SetSearchOption("batch_size", b);
        p.SetSearchOption("max_length", width + steps);
        p.SetSearchOption("num_return_sequences", 1);
        if (s.Temperature == 0) p.SetSearchOption("do_sample", false);
        else
        {
            p.SetSearchOption("do_sample", true);
            p.SetSearchOption("temperature", s.Temperature);
            // The product's top_k 0 means no truncation; GenAI would read 0 as greedy, so the whole vocabulary is named.
            p.SetSearchOption("top_k", s.TopK > 0 ? s.TopK : _tokenizer.VocabSize);
            p.SetSearchOption("top_p", s.TopP);
            p.SetSearchOption("random_seed", GroupSeed(s.Seed, prompts[group[0].Prompt].PromptId, group[0].FirstCandidate));
        }
        using var g = new Microsoft.ML.OnnxRuntimeGenAI.Generator(_model, p);
        g.AppendTokens(ids);

        int active = b;
        for (int step = 0; active > 0; step++)
        {
            ct.ThrowIfCancellationRequested();
            if (g.IsDone())
                throw new InvalidOperationException($"onnxruntime-genai ended the generator after {step} steps with {active} rows unfinished by the product's rules");
            g.GenerateNextToken();
            var next = g.GetNextTokens();
            using var logitsT = g.GetOutput("logits");
            var shape = logitsT.Shape();
            var logits = logitsT.GetData<float>();
            int seq = (int)shape[1], v = (int)shape[2];
            int sampled = 0;
            for (int i = 0; i < b; i++)
            {
                var row = rows[i];
                if (row.Finish is not null) continue;
                // The prefill's logits cover every column: a right-padded row's next token comes from its last real one.
                int at = seq == 1 ? 0 : row.PromptLength - 1;
                var rowLogits = logits.Slice((i * seq + at) * v, v);
                // GenAI drew the token; the log-probability and the finishing rules are the native engine's.
                _step.Accept(row, next[i], TokenSampler.LogProb(rowLogits, next[i]));
                sampled++;
                if (row.Finish is not null) active--;
            }
            onTokens?.Invoke(sampled);
        }
        foreach (var r in rows)
            yield return (r.Prompt, r.ToGeneration());
    }

    /// <summary>One generator's random_seed: a non-negative int (GenAI reads -1 as "random") from the group's first candidate.</summary>
    public static int GroupSeed(long seed, string firstPromptId, int firstCandidate) =>
        (int)(CandidateSeeds.Derive(seed, firstPromptId, firstCandidate) & int.MaxValue);

    public void Dispose()
    {
        _model.Dispose();
        _config.Dispose();
    }
}
