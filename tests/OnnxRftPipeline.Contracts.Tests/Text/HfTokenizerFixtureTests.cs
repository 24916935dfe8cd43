using System.Text.Json.Nodes;
using OnnxRftPipeline.Contracts.Text;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Contracts.Tests.Text;

/// <summary>
/// The product's tokenizer on checkpoints transformers wrote, against the ids and text transformers produced
/// (reference.json). The Qwen2 fixture is left out of the encoding checks: transformers 5 tokenized it with its own Qwen2
/// pre-tokenizer, not the one in the fixture's tokenizer.json (tests/fixtures/hf/README.md).
/// </summary>
public sealed class HfTokenizerFixtureTests
{
    public static TheoryData<string> Encoded => new() { HfFixtures.ByteLevel, HfFixtures.SpmBf16, HfFixtures.Mistral };
    public static TheoryData<string> All => new() { HfFixtures.ByteLevel, HfFixtures.SpmBf16, HfFixtures.Qwen2, HfFixtures.Mistral };

    static (HfReference Ref, ITokenizer Tok) Load(string name)
    {
        var r = HfFixtures.Reference(name);
        var tok = HfFixtures.Tokenizer(r.Dir);
        Assert.IsType<HfTokenizer>(tok);
        return (r, tok);
    }

    [Theory, MemberData(nameof(Encoded))]
    public void Encode_gives_transformers_ids_without_special_tokens(string name)
    {
        var (r, tok) = Load(name);
        foreach (var p in r.Tokenize) Assert.True(p.IdsNoSpecial.SequenceEqual(tok.Encode(p.Text)), Show(p.Text, p.IdsNoSpecial, tok.Encode(p.Text)));
    }

    [Theory, MemberData(nameof(Encoded))]
    public void EncodeModelInput_gives_the_ids_AutoTokenizer_gives(string name)
    {
        var (r, tok) = Load(name);
        foreach (var p in r.Tokenize)
            Assert.True(p.IdsHfDefault.SequenceEqual(tok.EncodeModelInput(p.Text)), Show(p.Text, p.IdsHfDefault, tok.EncodeModelInput(p.Text)));
    }

    [Theory, MemberData(nameof(Encoded))]
    public void A_prompt_is_encoded_as_the_input_ids_transformers_generated_from(string name)
    {
        var (r, tok) = Load(name);
        foreach (var g in r.Greedy)
            Assert.True(g.InputIds.SequenceEqual(PromptFormat.EncodePrompt(tok, g.Prompt)), Show(g.Prompt, g.InputIds, PromptFormat.EncodePrompt(tok, g.Prompt)));
    }

    [Theory]
    [InlineData(HfFixtures.ByteLevel)]
    [InlineData(HfFixtures.SpmBf16)]
    public void Decode_gives_transformers_text_with_special_tokens_skipped(string name)
    {
        // The shared fixtures' `decoded` is decode(ids, skip_special_tokens=True), which is what Decode promises.
        var (r, tok) = Load(name);
        foreach (var p in r.Tokenize) Assert.Equal(p.Decoded, tok.Decode(p.IdsNoSpecial));
    }

    [Fact]
    public void Decode_gives_the_Mistral_fixtures_text_where_its_ids_hold_no_special_token()
    {
        // This fixture's `decoded` keeps special tokens (decode(ids) with transformers' default), while Decode skips them,
        // so the two can only be compared on ids without one; which ids are special is read from tokenizer.json.
        var (r, tok) = Load(HfFixtures.Mistral);
        var special = SpecialIds(r.Dir);
        var plain = r.Tokenize.Where(p => !p.IdsNoSpecial.Any(special.Contains)).ToList();
        Assert.True(plain.Count >= r.Tokenize.Count - 2, $"only {plain.Count} of {r.Tokenize.Count} probes are free of special tokens");
        foreach (var p in plain) Assert.Equal(p.Decoded, tok.Decode(p.IdsNoSpecial));
    }

    [Theory, MemberData(nameof(All))]
    public void Decoding_the_greedy_continuation_gives_transformers_generated_text(string name)
    {
        // generated_text is decode(generated_ids, skip_special_tokens=True) in every fixture. Decoding does not go through the
        // pre-tokenizer, so the Qwen2 fixture's ids decode as transformers decoded them.
        var (r, tok) = Load(name);
        foreach (var g in r.Greedy) Assert.Equal(g.GeneratedText, tok.Decode(g.GeneratedIds));
    }

    static HashSet<int> SpecialIds(string dir) =>
        ((JsonNode.Parse(File.ReadAllText(Path.Combine(dir, TokenizerFiles.TokenizerJson)))!["added_tokens"] as JsonArray) ?? [])
        .Where(a => a!["special"]!.GetValue<bool>()).Select(a => a!["id"]!.GetValue<int>()).ToHashSet();

    static string Show(string text, int[] expected, int[] actual) =>
        $"text {System.Text.Json.JsonSerializer.Serialize(text)}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]";
}
