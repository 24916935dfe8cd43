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
        var pars = model.named_parameters().ToDictionary(x => x.name, x => x.parameter, StringComparer.Ordinal);
        var missing = pars.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{source}: missing tensor(s) {string.Join(", ", missing.Take(5))}");
        var extra = tensors.Keys.Where(k => !pars.ContainsKey(k)).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{source}: unexpected tensor(s) {string.Join(", ", extra.Take(5))} (does config.json match, e.g. tie_word_embeddings?)");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, p) in pars)
        {
            var t = tensors[name];
            if (!t.Shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{source}: tensor {name} has shape [{string.Join(",", t.Shape)}], model expects [{string.Join(",", p.shape)}]");
            p.copy_(tensor(t.Data, t.Shape));
        }
    }
}
