using OnnxRftPipeline.Contracts.Runtime;
using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export;

public sealed record ExportResult(string OutDir, IReadOnlyList<string> Files, GenAiConfig Config, RftModelInfo Info);

/// <summary>
/// `rft export`: checkpoint folder → onnxruntime-genai style model folder (model.onnx [+ .data],
/// genai_config.json, tokenizer files, rft_model.json). The folder is assembled under a temp
/// sibling name and renamed into place, so a failed export leaves nothing behind.
/// </summary>
public static class OnnxExporter
{
    public const string ModelFile = "model.onnx";

    public static ExportResult Export(string checkpointDir, string outDir, ExportOptions options)
    {
        outDir = Path.GetFullPath(outDir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(outDir) && !options.Force)
            throw new IOException($"{outDir}: model version already exists (use --force to replace it)");
        if (File.Exists(outDir)) throw new IOException($"{outDir}: exists and is a file");

        var ckpt = LlamaCheckpoint.Load(checkpointDir);
        var c = ckpt.Config;
        int contextLength = options.ContextLength ?? c.ContextLimit;
        if (contextLength <= 0 || contextLength > c.ContextLimit)
            throw new ArgumentException($"context length {contextLength} must be in [1, {c.ContextLimit}] (max_position_embeddings {c.MaxPositionEmbeddings}" +
                (c.ContextLimit < c.MaxPositionEmbeddings ? $", capped by sliding_window {c.SlidingWindow})" : ")"));

        var parent = Path.GetDirectoryName(outDir) ?? throw new ArgumentException($"{outDir}: has no parent folder");
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(outDir)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            var model = LlamaGraph.Build(ckpt, options.Ops, options.Quantize);
            bool external = OnnxModelWriter.InitializerBytes(model) >= options.ExternalDataThresholdBytes;
            var modelFiles = OnnxModelWriter.Write(model, tmp, ModelFile, external);

            TokenizerFiles.CopyFiles(ckpt.Dir, tmp);

            var config = GenAiConfigFor(c, ckpt.Tokenizer, contextLength, options.Ops);
            config.Validate(GenAiConfig.FileName);
            File.WriteAllText(Path.Combine(tmp, GenAiConfig.FileName), config.ToJson());

            var info = new RftModelInfo
            {
                ModelName = options.ModelName ?? Path.GetFileName(parent),
                ModelVersion = options.ModelVersion ?? Path.GetFileName(outDir),
                SourceCheckpoint = ckpt.Dir,
                SourceSha256 = ckpt.Weights.ContentSha256(),
                ExportedAtUtc = options.UtcNow(),
                Exporter = $"OnnxRftPipeline.Export {typeof(OnnxExporter).Assembly.GetName().Version}",
                OnnxOpset = LlamaGraph.OpsetFor(options.Ops),
                GraphOps = GraphOpsName(options.Ops),
                WeightQuantization = WeightQuantizationNames.Name(options.Quantize),
                ModelFiles = modelFiles.ToArray(),
                MaxPositionEmbeddings = c.ContextLimit,
            };
            File.WriteAllText(Path.Combine(tmp, RftModelInfo.FileName), info.ToJson());

            // The folder must load through the same contract the sampler uses before it is published.
            ModelFolder.Load(tmp);

            Publish(tmp, outDir, options.Force);
            var files = Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            return new ExportResult(outDir, files!, config, info);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// genai_config.json for the export: GenAI's model type is the checkpoint's (llama, mistral, qwen2); eos_token_id lists every id
    /// generation stops at (the tokenizer's eos first); a tokenizer without bos (Qwen2) takes the config's bos_token_id, or eos.
    /// </summary>
    public static GenAiConfig GenAiConfigFor(LlamaConfig c, ITokenizer tok, int contextLength, GraphOps ops = GraphOps.Standard) => new()
    {
        Model = new GenAiModel
        {
            Type = c.ModelType,
            ContextLength = contextLength,
            VocabSize = c.VocabSize,
            BosTokenId = tok.BosId >= 0 ? tok.BosId : c.BosTokenId ?? tok.EosId,
            EosTokenId = [tok.EosId, .. tok.StopIds.Where(id => id != tok.EosId).Order()],
            PadTokenId = tok.PadId,
            Decoder = new GenAiDecoder
            {
                Filename = ModelFile,
                HeadSize = c.HeadDim,
                HiddenSize = c.HiddenSize,
                NumAttentionHeads = c.NumAttentionHeads,
                NumKeyValueHeads = c.NumKeyValueHeads,
                NumHiddenLayers = c.NumHiddenLayers,
            },
        },
        // GroupQueryAttention (contrib) and TensorScatter (standard-inplace) write new keys in place, so GenAI (and our engine)
        // may bind one max-length buffer as both past and present; the standard graph's Concat cannot.
        Search = new GenAiSearch { MaxLength = contextLength, PastPresentShareBuffer = ops != GraphOps.Standard },
    };

    static readonly Spelling<GraphOps> GraphOpsSpelling =
        new((GraphOps.Standard, "standard"), (GraphOps.Contrib, "contrib"), (GraphOps.StandardInPlace, "standard-inplace"));

    /// <summary>rft_model.json's graph_ops value, and the spelling of --ops, export_ops and bench's --ops.</summary>
    public static string GraphOpsName(GraphOps ops) => GraphOpsSpelling.Name(ops);

    /// <summary>Parses a <see cref="GraphOpsName"/> value (case-insensitive); anything else is an error naming <paramref name="field"/>.</summary>
    public static GraphOps ParseGraphOps(string? text, string field) => GraphOpsSpelling.Parse(text, field);

    /// <summary>Renames the finished temp folder into place; with force the old version is moved aside first
    /// and deleted only after the new one is in place.</summary>
    static void Publish(string tmp, string outDir, bool force)
    {
        string? old = null;
        if (Directory.Exists(outDir))
        {
            if (!force) throw new IOException($"{outDir}: model version already exists (use --force to replace it)");
            old = tmp + ".old";
            Directory.Move(outDir, old);
        }
        try { Directory.Move(tmp, outDir); }
        catch
        {
            if (old is not null) Directory.Move(old, outDir);
            throw;
        }
        if (old is not null) Directory.Delete(old, recursive: true);
    }
}
