using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Export;

/// <summary>
/// A checkpoint with random weights of any shape, written without TorchSharp. For sampler tests and
/// throughput benchmarks, where what matters is the graph's shape and cost, not what it learned.
/// </summary>
public static class RandomCheckpoint
{
    public static string Write(string dir, LlamaConfig config, int seed)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Write(Path.Combine(dir, LlamaCheckpoint.WeightsFile), Tensors(config, seed));
        config.Save(Path.Combine(dir, LlamaCheckpoint.ConfigFile));
        TokenizerFiles.Write(dir, new ByteTokenizer());
        return dir;
    }

    /// <summary>Random weights with the HF names and shapes; norms around 1 so every weight matters.</summary>
    public static List<NamedTensor> Tensors(LlamaConfig config, int seed)
    {
        var rng = new Random(seed);
        var tensors = new List<NamedTensor>();
        foreach (var (name, shape) in config.ExpectedTensors())
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            bool isNorm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            // ~1/sqrt(fan_in) keeps activations O(1); larger embeddings spread the logits so sampling is not uniform.
            double scale = isNorm || shape.Length == 1 ? 0.2 : name == LlamaConfig.Names.Embed ? 0.5 : 1.0 / Math.Sqrt(shape[1]);
            for (long i = 0; i < n; i++) data[i] = (float)((isNorm ? 1.0 : 0.0) + scale * (rng.NextDouble() * 2 - 1) * 1.7);
            tensors.Add(new NamedTensor(name, shape, data));
        }
        return tensors;
    }
}
