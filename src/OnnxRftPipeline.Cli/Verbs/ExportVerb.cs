using System.CommandLine;
using OnnxRftPipeline.Export;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft export`: a checkpoint → an onnxruntime-genai style model folder.</summary>
public static class ExportVerb
{
    public static Command Create()
    {
        var checkpoint = Opt.Required<string>("--checkpoint", "Checkpoint folder (model.safetensors, config.json, tokenizer files).");
        var outDir = Opt.Required<string>("--out", "Model folder to write, by convention models/NAME/VERSION.");
        var ops = Opt.With("--ops", GraphOps.Standard, "Standard ONNX ops (portable, opset 17), Contrib (ORT CPU fused norms/rotary and GroupQueryAttention with an in-place KV cache) or StandardInPlace (standard ops at opset 24, KV cache written in place with TensorScatter).");
        var quantize = Opt.With("--quantize", "none", "none (fp32 weights, default) or int8: projection and head weights as int8 with one scale per output " +
            "column (ONNX Runtime's DynamicQuantizeMatMul): ~4x smaller projection weights and usually faster CPU sampling, approximate logits; " +
            "the graph then needs ONNX Runtime with any --ops.");
        var force = Opt.Flag("--force", "Replace an existing version.");
        var cmd = new Command("export", "Export a checkpoint to ONNX in onnxruntime-genai's folder layout.").With(checkpoint, outDir, ops, quantize, force);
        cmd.SetAction(p =>
        {
            // Parsed before anything is read or written, so a bad value fails alone, naming the option.
            var q = WeightQuantizationNames.Parse(p.GetValue(quantize));
            var r = OnnxExporter.Export(p.GetValue(checkpoint)!, p.GetValue(outDir)!, new ExportOptions { Ops = p.GetValue(ops), Quantize = q, Force = p.GetValue(force) });
            AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {r.Info.ModelName}/{r.Info.ModelVersion} → {r.OutDir} ({string.Join(", ", r.Files.Select(Path.GetFileName))})");
            return CliHost.Ok;
        });
        return cmd;
    }
}
