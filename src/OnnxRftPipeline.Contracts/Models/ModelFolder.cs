using System.Text.RegularExpressions;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>
/// A loaded, validated model folder (models/NAME/VERSION): genai_config.json, rft_model.json, the
/// ONNX files they name and the tokenizer. Layout and rules: data-schemas/model-folder.md.
/// The sampler opens models through this so a broken folder fails before a session is created.
/// </summary>
public sealed class ModelFolder
{
    public string Dir { get; }
    public GenAiConfig Config { get; }
    public RftModelInfo Info { get; }
    public ITokenizer Tokenizer { get; }

    public string ModelPath => Path.Combine(Dir, Config.Model.Decoder.Filename);
    public GenAiDecoder Decoder => Config.Model.Decoder;

    ModelFolder(string dir, GenAiConfig config, RftModelInfo info, ITokenizer tokenizer)
    {
        Dir = dir; Config = config; Info = info; Tokenizer = tokenizer;
    }

    /// <summary>True when <paramref name="dir"/> looks like a model version folder (has genai_config.json).</summary>
    public static bool IsModelFolder(string dir) => File.Exists(Path.Combine(dir, GenAiConfig.FileName));

    /// <summary>
    /// Opens <paramref name="path"/>: a version folder itself, or a model's folder (models/NAME) whose
    /// newest version is taken (see <see cref="NewestVersion"/>).
    /// </summary>
    public static ModelFolder Open(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: model folder not found");
        var dir = IsModelFolder(path) ? path : NewestVersion(path);
        return Load(dir);
    }

    /// <summary>Loads and validates one version folder.</summary>
    public static ModelFolder Load(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: model folder not found");
        var config = GenAiConfig.Load(Path.Combine(dir, GenAiConfig.FileName));
        var info = RftModelInfo.Load(Path.Combine(dir, RftModelInfo.FileName));
        var infoPath = Path.Combine(dir, RftModelInfo.FileName);
        if (!info.ModelFiles.Contains(config.Model.Decoder.Filename))
            throw new InvalidDataException($"{infoPath}: model_files does not list decoder.filename '{config.Model.Decoder.Filename}' of {GenAiConfig.FileName}");
        foreach (var f in info.ModelFiles)
            if (!File.Exists(Path.Combine(dir, f)))
                throw new FileNotFoundException($"{Path.Combine(dir, f)}: listed in {RftModelInfo.FileName} model_files but missing", Path.Combine(dir, f));
        var m = config.Model;
        var tokenizer = TokenizerFiles.Load(dir, new HfTokenizer.Fallbacks(m.BosTokenId, m.EosTokenId, m.PadTokenId));
        var cfgPath = Path.Combine(dir, GenAiConfig.FileName);
        if (tokenizer.VocabSize > m.VocabSize)
            throw new InvalidDataException($"{cfgPath}: model.vocab_size {m.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize}");
        // A tokenizer without a bos token (Qwen2) leaves genai_config's bos_token_id to the model config.
        if ((tokenizer.BosId >= 0 && tokenizer.BosId != m.BosTokenId) || tokenizer.PadId != m.PadTokenId || !m.EosTokenId.Contains(tokenizer.EosId))
            throw new InvalidDataException($"{cfgPath}: bos/eos/pad token ids ({m.BosTokenId}/{string.Join(",", m.EosTokenId)}/{m.PadTokenId}) disagree with the tokenizer ({tokenizer.BosId}/{tokenizer.EosId}/{tokenizer.PadId})");
        return new ModelFolder(dir, config, info, tokenizer);
    }

    /// <summary>
    /// The newest version folder under <paramref name="modelDir"/>: among subfolders holding
    /// genai_config.json, the greatest in natural order (digit runs compare as numbers, so
    /// v2 &lt; v10 and 20261102-0930 &lt; 20261102-1015). Folders starting with '.' (temp exports) are skipped.
    /// </summary>
    public static string NewestVersion(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"{modelDir}: model folder not found");
        var versions = Directory.GetDirectories(modelDir)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && IsModelFolder(d))
            .OrderBy(d => Path.GetFileName(d), NaturalComparer.Instance)
            .ToList();
        if (versions.Count == 0)
            throw new InvalidDataException($"{modelDir}: no version folder with {GenAiConfig.FileName} (expected models/NAME/VERSION/)");
        return versions[^1];
    }

    /// <summary>Orders strings by runs: digit runs numerically, other runs ordinally.</summary>
    public sealed class NaturalComparer : IComparer<string>
    {
        public static readonly NaturalComparer Instance = new();
        static readonly Regex Runs = new(@"\d+|\D+", RegexOptions.Compiled);

        public int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            var a = Runs.Matches(x); var b = Runs.Matches(y);
            for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
            {
                string s = a[i].Value, t = b[i].Value;
                int c;
                if (char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(t[0]))
                {
                    string u = s.TrimStart('0'), v = t.TrimStart('0');
                    c = u.Length != v.Length ? u.Length.CompareTo(v.Length) : string.CompareOrdinal(u, v);
                    if (c == 0) c = s.Length.CompareTo(t.Length);
                }
                else c = string.CompareOrdinal(s, t);
                if (c != 0) return c;
            }
            return a.Count.CompareTo(b.Count);
        }
    }
}
