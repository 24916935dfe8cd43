using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// Exports of imported Hugging Face checkpoints load in onnxruntime-genai 0.20 unchanged, and its greedy search, primed with
/// the prompt ids transformers gave, continues exactly as transformers did (fp32 fixtures). GenAI is an independent consumer
/// of the folder: its own genai_config.json parser (strict about keys), its own KV-cache handling.
/// </summary>
public sealed class GenAiLoadsExportsTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "genai-tests-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Theory]
    [InlineData("llama-bytelevel-fp32", GraphOps.Standard, true)]
    [InlineData("qwen2-tied-bias-fp32", GraphOps.Standard, true)]
    [InlineData("qwen2-tied-bias-fp32", GraphOps.Contrib, true)]
    [InlineData("mistral-headdim-fp16-sharded", GraphOps.Standard, true)]
    // transformers computed this fixture's continuation in bf16; the export computes in fp32, so only loading and generating are checked.
    [InlineData("llama-spm-bf16-sharded", GraphOps.Standard, false)]
    public void GenAi_loads_the_export_and_its_greedy_search_matches_transformers(string fixture, GraphOps ops, bool exact)
    {
        var dir = HfFixtures.Dir(fixture);
        var outDir = Path.Combine(_root, fixture, "v1");
        OnnxExporter.Export(dir, outDir, new ExportOptions { Ops = ops });
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")))!;

        using var model = new Model(outDir);
        int checkedPrompts = 0;
        foreach (var g in reference["greedy"]!.AsArray())
        {
            var input = g!["input_ids"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var expected = g["generated_ids"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            using var p = new GeneratorParams(model);
            p.SetSearchOption("do_sample", false);
            p.SetSearchOption("max_length", input.Length + expected.Length);
            using var gen = new Generator(model, p);
            gen.AppendTokens(input);
            while (!gen.IsDone()) gen.GenerateNextToken();
            var produced = gen.GetSequence(0).ToArray()[input.Length..];
            Assert.NotEmpty(produced);
            if (!exact) continue;
            // GenAI leaves a final eos out of the sequence when the row ends on the generator's last step.
            int n = Math.Min(produced.Length, expected.Length);
            Assert.True(produced.Length == expected.Length || (produced.Length == expected.Length - 1 && expected[^1] == (int)reference["eos"]!.GetValue<int>()),
                $"{fixture} '{g["prompt"]}': {produced.Length} tokens, transformers {expected.Length}");
            Assert.Equal(expected[..n], produced[..n]);
            checkedPrompts++;
        }
        Assert.Equal(exact ? reference["greedy"]!.AsArray().Count : 0, checkedPrompts);
    }
}
