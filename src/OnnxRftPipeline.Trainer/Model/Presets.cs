using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>Default optimisation settings that go with a model size.</summary>
public sealed record Hyperparameters(
    double LearningRate, int BatchSize, int WarmupSteps, double WeightDecay,
    double GradClip, double MinLrRatio, int Epochs);

/// <summary>
/// Model sizes: tiny (tests, seconds), small (default cycle, minutes on 2 cores), base.
/// Vocabulary and special ids come from the byte tokenizer unless a caller overrides them.
/// </summary>
public static class Presets
{
    public static readonly string[] Names = ["tiny", "small", "base"];

    public static LlamaConfig Get(string name, ITokenizer? tokenizer = null)
    {
        tokenizer ??= new ByteTokenizer();
        var c = name switch
        {
            // Grouped KV heads and tied embeddings in tiny so tests exercise both options.
            "tiny" => Config(hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 176, context: 128, tied: true),
            "small" => Config(hidden: 256, layers: 4, heads: 4, kvHeads: 4, intermediate: 704, context: 256, tied: false),
            "base" => Config(hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1408, context: 512, tied: false),
            _ => throw new ArgumentException($"unknown preset '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
        };
        c.VocabSize = tokenizer.VocabSize;
        c.BosTokenId = tokenizer.BosId;
        c.EosTokenId = tokenizer.EosId;
        c.PadTokenId = tokenizer.PadId;
        c.Validate($"preset {name}");
        return c;
    }

    public static Hyperparameters DefaultHyperparameters(string name) => name switch
    {
        "tiny" => new(LearningRate: 3e-3, BatchSize: 32, WarmupSteps: 10, WeightDecay: 0.0, GradClip: 1.0, MinLrRatio: 0.1, Epochs: 3),
        "small" => new(LearningRate: 1e-3, BatchSize: 64, WarmupSteps: 50, WeightDecay: 0.1, GradClip: 1.0, MinLrRatio: 0.1, Epochs: 3),
        "base" => new(LearningRate: 5e-4, BatchSize: 32, WarmupSteps: 100, WeightDecay: 0.1, GradClip: 1.0, MinLrRatio: 0.1, Epochs: 3),
        _ => throw new ArgumentException($"unknown preset '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };

    static LlamaConfig Config(int hidden, int layers, int heads, int kvHeads, int intermediate, int context, bool tied) => new()
    {
        HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads, NumKeyValueHeads = kvHeads,
        IntermediateSize = intermediate, MaxPositionEmbeddings = context, TieWordEmbeddings = tied,
        RopeTheta = 10000.0, RmsNormEps = 1e-5,
    };
}
