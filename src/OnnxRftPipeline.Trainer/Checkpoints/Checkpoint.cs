using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.Trainer.Model;

namespace OnnxRftPipeline.Trainer.Checkpoints;

/// <summary>
/// A checkpoint folder: model.safetensors (HF tensor names), config.json (HF Llama fields),
/// tokenizer.json + tokenizer_config.json, and for resumable training trainer_state.json + optimizer.dat.
/// The folder is written under a temp name and swapped in, so a crash leaves the previous one intact.
/// </summary>
public static class Checkpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.dat";

    /// <summary>Writes a checkpoint; <paramref name="writeExtra"/> adds files (trainer state) to the temp folder before the swap.</summary>
    public static void Save(string dir, LlamaForCausalLM model, ITokenizer tokenizer, Action<string>? writeExtra = null)
    {
        dir = Path.GetFullPath(dir);
        var parent = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(dir)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(tmp);
            SafeTensors.Write(Path.Combine(tmp, WeightsFile), ModelWeights.ToNamedTensors(model),
                new Dictionary<string, string> { ["format"] = "pt" });
            model.Config.Save(Path.Combine(tmp, ConfigFile));
            TokenizerFiles.Write(tmp, tokenizer);
            // An imported checkpoint's generation defaults (eos list, sampling settings) travel with its fine-tuned copies.
            if (tokenizer is HfTokenizer hf && File.Exists(Path.Combine(hf.SourceDir, SpecialIds.GenerationConfigFile)))
                File.Copy(Path.Combine(hf.SourceDir, SpecialIds.GenerationConfigFile), Path.Combine(tmp, SpecialIds.GenerationConfigFile));
            writeExtra?.Invoke(tmp);
            Swap(tmp, dir);
        }
        catch
        {
            TryDeleteDir(tmp);
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint's model and tokenizer: one `rft train` wrote, or a Hugging Face folder as save_pretrained writes it
    /// (single or sharded safetensors, fp32/bf16/fp16, the folder's own tokenizer). Names and shapes are checked against
    /// config.json before any tensor is read; tensors are then read and copied into the model one at a time, so a large
    /// checkpoint is never held twice. Errors name the folder and the file.
    /// </summary>
    public static (LlamaForCausalLM Model, ITokenizer Tokenizer) Load(string dir)
    {
        dir = Resolve(dir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: checkpoint folder not found");
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{dir}: not a checkpoint ({ConfigFile} missing)", configPath);
        if (!CheckpointWeights.Exists(dir))
            throw new FileNotFoundException($"{dir}: not a checkpoint ({WeightsFile} or {CheckpointWeights.IndexFile} missing)", Path.Combine(dir, WeightsFile));
        var config = LlamaConfig.Load(configPath);
        var weights = CheckpointWeights.Open(dir);
        weights.CheckAgainst(config, configPath);
        var tok = TokenizerFiles.Load(dir, SpecialIds.Fallbacks(dir, config));
        if (tok.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{configPath}: vocab_size {config.VocabSize} is smaller than the tokenizer's {tok.VocabSize}");
        var model = new LlamaForCausalLM(config);
        try { ModelWeights.Load(model, weights); }
        catch { model.Dispose(); throw; }
        return (model, tok);
    }

    /// <summary>
    /// The folder to read: <paramref name="dir"/> itself, or if a crash hit between the two renames of a
    /// swap, the previous copy left beside it.
    /// </summary>
    public static string Resolve(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (Directory.Exists(dir)) return dir;
        var parent = Path.GetDirectoryName(dir)!;
        if (Directory.Exists(parent))
        {
            var old = Directory.GetDirectories(parent, $".{Path.GetFileName(dir)}.*.old").OrderBy(d => Directory.GetLastWriteTimeUtc(d)).LastOrDefault();
            if (old is not null) return old;
        }
        return dir;
    }

    static void Swap(string tmp, string dir)
    {
        var parent = Path.GetDirectoryName(dir)!;
        string? old = null;
        if (Directory.Exists(dir))
        {
            old = Path.Combine(parent, $".{Path.GetFileName(dir)}.{Guid.NewGuid():N}.old");
            Directory.Move(dir, old);
        }
        Directory.Move(tmp, dir);
        if (old is not null) TryDeleteDir(old);
        foreach (var stale in Directory.GetDirectories(parent, $".{Path.GetFileName(dir)}.*.old")) TryDeleteDir(stale);
    }

    static void TryDeleteDir(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (IOException) { }
    }
}
