using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxRftPipeline.Export;
using OnnxRftPipeline.Export.Onnx;
using DT = OnnxRftPipeline.Export.Onnx.TensorProto.Types.DataType;

namespace OnnxRftPipeline.Bench;

/// <summary>
/// fp32 MatMul FLOP/s through ONNX Runtime itself (a one-node graph, same session options as the sampler), so
/// the sampler's efficiency is judged against the matmul kernel it actually runs, not only TorchSharp's.
/// </summary>
static class OrtMatmul
{
    /// <summary>
    /// FLOP/s of [m,k]×[k,n] (2mkn per product), timed after a warm-up for about <paramref name="seconds"/>. With
    /// <paramref name="int8"/> the product is the int8 graphs' kernel, DynamicQuantizeMatMul with int8 weights.
    /// </summary>
    public static double Measure(int m, int k, int n, int threads, double seconds = 1.0, bool int8 = false)
    {
        var g = new OnnxGraphBuilder();
        g.Input(OnnxGraphBuilder.Value("a", DT.Float, m, k));
        var rng = new Random(1);
        var w = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
        LlamaGraph.Projection(g, "a", "b", w, k, n, int8 ? WeightQuantization.Int8 : WeightQuantization.None, "c");
        g.Output(OnnxGraphBuilder.Value("c", DT.Float, m, n));
        var model = new ModelProto { IrVersion = LlamaGraph.IrVersion, Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = LlamaGraph.Opset });
        if (int8) model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraphBuilder.MicrosoftDomain, Version = 1 });

        using var so = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), so);
        var aData = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
        using var a = OrtValue.CreateTensorValueFromMemory(aData, [m, k]);
        using var c = OrtValue.CreateTensorValueFromMemory(new float[m * n], [m, n]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", a);
        binding.BindOutput("c", c);
        using var run = new RunOptions();
        session.RunWithBinding(run, binding); // warm-up
        int reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || reps < 3)
        {
            session.RunWithBinding(run, binding);
            reps++;
        }
        return 2.0 * m * k * n * reps / sw.Elapsed.TotalSeconds;
    }
}
