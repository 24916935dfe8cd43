using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Export;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 2, export: a checkpoint (one `rft train` wrote, or a Hugging Face folder) → an ONNX model folder.</summary>
public static class ExportStage
{
    public static ExportResult Run(string checkpoint, string outDir, ExportOptions options)
    {
        var r = OnnxExporter.Export(checkpoint, outDir, options);
        ReportUnrenderedChatTemplate(r.OutDir);
        return r;
    }

    /// <summary>
    /// The product encodes prompts as given (through the model's prompt template), never through a Jinja chat template; a
    /// tokenizer that carries one is reported so the user knows it is not applied.
    /// </summary>
    public static void ReportUnrenderedChatTemplate(string modelOrCheckpointDir)
    {
        if (ChatTemplate.Present(modelOrCheckpointDir) is { } file)
            Console.Error.WriteLine($"note: {file} has a chat template; rft does not render chat templates: prompts are encoded as given " +
                                    "(wrap them in the model's turn markers yourself, e.g. in the data or with a prompt template).");
    }
}
