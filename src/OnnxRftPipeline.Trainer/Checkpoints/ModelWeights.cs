using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Trainer.Model;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Checkpoints;

/// <summary>Moves a model's parameters to and from Hugging Face–named float32 tensors.</summary>
public static class ModelWeights
{
    public static List<NamedTensor> ToNamedTensors(LlamaForCausalLM model)
    {
        using var scope = NewDisposeScope();
        var list = new List<NamedTensor>();
        foreach (var (name, p) in model.named_parameters())
        {
            var t = p.detach().contiguous().cpu().to(ScalarType.Float32);
            list.Add(new NamedTensor(name, t.shape.ToArray(), t.data<float>().ToArray()));
        }
        return list;
    }

    /// <summary>Copies every tensor into the model; names and shapes must match exactly (no missing, no extra).</summary>
    public static void Load(LlamaForCausalLM model, IReadOnlyDictionary<string, NamedTensor> tensors, string source)
    {
        var pars = Parameters(model);
        var missing = pars.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{source}: missing tensor(s) {string.Join(", ", missing.Take(5))}");
        var extra = tensors.Keys.Where(k => !pars.ContainsKey(k)).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{source}: unexpected tensor(s) {string.Join(", ", extra.Take(5))} (does config.json match, e.g. tie_word_embeddings?)");
        foreach (var (name, p) in pars) Copy(p, tensors[name], source);
    }

    /// <summary>Copies a checkpoint's tensors in one at a time (names and shapes already checked against the config).</summary>
    public static void Load(LlamaForCausalLM model, CheckpointWeights weights)
    {
        foreach (var (name, p) in Parameters(model))
        {
            if (!weights.Contains(name)) throw new InvalidDataException($"{weights.Files[0]}: missing tensor {name}");
            Copy(p, weights.Tensor(name), weights.Entry(name).File);
        }
    }

    static Dictionary<string, TorchSharp.Modules.Parameter> Parameters(LlamaForCausalLM model) =>
        model.named_parameters().ToDictionary(x => x.name, x => x.parameter, StringComparer.Ordinal);

    static void Copy(TorchSharp.Modules.Parameter p, NamedTensor t, string source)
    {
        if (!t.Shape.SequenceEqual(p.shape))
            throw new InvalidDataException($"{source}: tensor {t.Name} has shape [{string.Join(",", t.Shape)}], model expects [{string.Join(",", p.shape)}]");
        for (int i = 0; i < t.Data.Length; i++)
            if (!float.IsFinite(t.Data[i]))
                throw new InvalidDataException($"{source}: tensor {t.Name} holds a non-finite value at flat index {i}");
        using var _ = no_grad();
        using var src = tensor(t.Data, t.Shape);
        p.copy_(src);
    }
}
