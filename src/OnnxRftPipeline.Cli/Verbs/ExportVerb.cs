using System.CommandLine;
using OnnxRftPipeline.Cli.Stages;
using OnnxRftPipeline.Export;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft export`: a checkpoint → an onnxruntime-genai style model folder.</summary>
public static class ExportVerb
{
    public static Command Create()
    {
        var checkpoint = Opt.Required<string>("--checkpoint", "Checkpoint folder: one `rft train` wrote, or a Hugging Face Llama / Mistral / Qwen2 folder as saved (config.json, model.safetensors or shards + index, tokenizer.json).");
        var outDir = Opt.Required<string>("--out", "Model folder to write, by convention models/NAME/VERSION.");
        // One spelling everywhere (cycle config export_ops, rft_model.json graph_ops, bench): standard | contrib | standard-inplace.
        var ops = Opt.With("--ops", "standard", "standard (portable ONNX ops, opset 17), contrib (ORT CPU fused norms/rotary and GroupQueryAttention with an in-place KV cache) or standard-inplace (standard ops at opset 24, KV cache written in place with TensorScatter).");
        var quantize = Opt.With("--quantize", "none", "none (fp32 weights, default) or int8: projection and head weights as int8 with one scale per output " +
            "column (ONNX Runtime's DynamicQuantizeMatMul): ~4x smaller projection weights and usually faster CPU sampling, approximate logits; " +
            "the graph then needs ONNX Runtime with any --ops.");
        var force = Opt.Flag("--force", "Replace an existing version.");
        var cmd = new Command("export", "Export a checkpoint to ONNX in onnxruntime-genai's folder layout.").With(checkpoint, outDir, ops, quantize, force);
        cmd.SetAction(p =>
        {
            // Parsed before anything is read or written, so a bad value fails alone, naming the option.
            var q = WeightQuantizationNames.Parse(p.GetValue(quantize));
            var o = OnnxExporter.ParseGraphOps(p.GetValue(ops), "--ops");
            var r = ExportStage.Run(p.GetValue(checkpoint)!, p.GetValue(outDir)!, new ExportOptions { Ops = o, Quantize = q, Force = p.GetValue(force) });
            AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {r.Info.ModelName}/{r.Info.ModelVersion} → {r.OutDir} ({string.Join(", ", r.Files.Select(Path.GetFileName))})");
            return CliHost.Ok;
        });
        return cmd;
    }
}
