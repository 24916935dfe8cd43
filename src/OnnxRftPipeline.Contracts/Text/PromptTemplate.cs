using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Text;

/// <summary>
/// A plain prompt template ("{prompt}" by default): the text a model sees in place of a prompt, e.g.
/// "&lt;|im_start|&gt;user\n{prompt}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n". It belongs to the model, not to a run: `rft train
/// --prompt-template` stores it beside the tokenizer (rft_prompt.json), fine-tunes and exports carry it along, and every
/// stage that encodes a prompt (training, sampling, eval, the service) applies it through the tokenizer it loads, so train and
/// sample can never disagree. Chat templates (Jinja) are not rendered; this is their plain-text stand-in.
/// </summary>
public sealed record PromptTemplate(string Text)
{
    public const string FileName = "rft_prompt.json";
    public const string Placeholder = "{prompt}";
    public static readonly PromptTemplate Plain = new(Placeholder);

    public bool IsPlain => Text == Placeholder;

    public string Apply(string prompt) => IsPlain ? prompt : Text.Replace(Placeholder, prompt, StringComparison.Ordinal);

    /// <summary>Checks a template given by the user; <paramref name="field"/> names the option or config field in the error.</summary>
    public static PromptTemplate Parse(string text, string field)
    {
        int first = text.IndexOf(Placeholder, StringComparison.Ordinal);
        if (first < 0) throw new ArgumentException($"{field} must contain {Placeholder} (got '{text}')");
        if (text.IndexOf(Placeholder, first + 1, StringComparison.Ordinal) >= 0)
            throw new ArgumentException($"{field} must contain {Placeholder} exactly once (got '{text}')");
        return new PromptTemplate(text);
    }

    /// <summary>The template stored in <paramref name="dir"/>, or the plain one when there is no rft_prompt.json.</summary>
    public static PromptTemplate Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return Plain;
        try
        {
            var text = JsonNode.Parse(File.ReadAllText(path))?["prompt_template"]?.GetValue<string>()
                       ?? throw new InvalidDataException($"{path}: prompt_template is missing");
            return Parse(text, $"{path}: prompt_template");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        { throw new InvalidDataException($"{path}: prompt_template must be a string ({e.Message})"); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
    }

    /// <summary>Writes rft_prompt.json (nothing for the plain template, whose absence means the same).</summary>
    public void Save(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (IsPlain) { File.Delete(path); return; }
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, new JsonObject { ["prompt_template"] = Text }.ToJsonString(
            new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>A tokenizer whose model inputs go through a <see cref="PromptTemplate"/> first; everything else is the inner tokenizer's.</summary>
public sealed class TemplatedTokenizer(ITokenizer inner, PromptTemplate template) : ITokenizer
{
    public ITokenizer Inner => inner;
    public PromptTemplate Template => template;
    public int VocabSize => inner.VocabSize;
    public int BosId => inner.BosId;
    public int EosId => inner.EosId;
    public int PadId => inner.PadId;
    public IReadOnlySet<int> StopIds => inner.StopIds;
    public int[] Encode(string text) => inner.Encode(text);
    public int[] EncodeModelInput(string text) => inner.EncodeModelInput(template.Apply(text));
    public string Decode(ReadOnlySpan<int> ids) => inner.Decode(ids);

    /// <summary><paramref name="tok"/> with <paramref name="t"/> in place of any template it had (none for the plain one).</summary>
    public static ITokenizer With(ITokenizer tok, PromptTemplate t)
    {
        var bare = tok is TemplatedTokenizer tt ? tt.Inner : tok;
        return t.IsPlain ? bare : new TemplatedTokenizer(bare, t);
    }

    public static PromptTemplate Of(ITokenizer tok) => tok is TemplatedTokenizer tt ? tt.Template : PromptTemplate.Plain;
}

/// <summary>Whether a folder's tokenizer carries a chat template the product does not render.</summary>
public static class ChatTemplate
{
    /// <summary>The file holding a chat template (tokenizer_config.json's chat_template, or chat_template.jinja), or null.</summary>
    public static string? Present(string dir)
    {
        var jinja = Path.Combine(dir, "chat_template.jinja");
        if (File.Exists(jinja)) return jinja;
        var config = Path.Combine(dir, TokenizerFiles.TokenizerConfigJson);
        if (!File.Exists(config)) return null;
        try { return JsonNode.Parse(File.ReadAllText(config))?["chat_template"] is not null ? config : null; }
        catch (JsonException) { return null; }
    }
}
