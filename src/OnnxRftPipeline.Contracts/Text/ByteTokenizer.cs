namespace OnnxRftPipeline.Contracts.Text;

/// <summary>What the trainer and the sampler both need from a tokenizer.</summary>
public interface ITokenizer
{
    /// <summary>Ids the tokenizer can produce: the largest id + 1 (the model's embedding may be larger).</summary>
    int VocabSize { get; }
    /// <summary>The beginning-of-sequence id, or -1 when the tokenizer has none.</summary>
    int BosId { get; }
    /// <summary>The id a training example ends with.</summary>
    int EosId { get; }
    /// <summary>Filler for padded batch rows (never attended, never a loss target).</summary>
    int PadId { get; }
    /// <summary>Ids that end generation: <see cref="EosId"/> and any other end ids the checkpoint names.</summary>
    IReadOnlySet<int> StopIds { get; }
    /// <summary>Plain text to ids, with no special tokens added (HF: encode(text, add_special_tokens=False)).</summary>
    int[] Encode(string text);
    /// <summary>A model input to ids exactly as the checkpoint's tokenizer gives them (HF: AutoTokenizer(text)):
    /// special tokens such as bos are added as its post-processor says.</summary>
    int[] EncodeModelInput(string text);
    /// <summary>Ids to text, special tokens skipped; ids outside the vocabulary are dropped.</summary>
    string Decode(ReadOnlySpan<int> ids);
}

/// <summary>
/// Byte-level tokenizer for the bundled tasks: ids 0..255 are UTF-8 bytes, then bos, eos, pad.
/// Small vocabulary keeps the tiny models fast and needs no trained merges.
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int Bos = 256, Eos = 257, Pad = 258, Size = 259;
    static readonly IReadOnlySet<int> Stops = new HashSet<int> { Eos };
    public int VocabSize => Size;
    public int BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;
    public IReadOnlySet<int> StopIds => Stops;

    public int[] Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <summary>The bundled models always start with bos.</summary>
    public int[] EncodeModelInput(string text) => [Bos, .. Encode(text)];

    /// <summary>Special ids are dropped; invalid UTF-8 becomes U+FFFD (a sampled model can emit any byte).</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length);
        foreach (var id in ids) if (id is >= 0 and < 256) bytes.Add((byte)id);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }
}
