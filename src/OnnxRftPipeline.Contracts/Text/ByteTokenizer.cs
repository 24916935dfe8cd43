namespace OnnxRftPipeline.Contracts.Text;

/// <summary>What the trainer and the sampler both need from a tokenizer.</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int BosId { get; }
    int EosId { get; }
    int PadId { get; }
    int[] Encode(string text);
    string Decode(ReadOnlySpan<int> ids);
}

/// <summary>
/// Byte-level tokenizer for the bundled tasks: ids 0..255 are UTF-8 bytes, then bos, eos, pad.
/// Small vocabulary keeps the tiny models fast and needs no trained merges.
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int Bos = 256, Eos = 257, Pad = 258, Size = 259;
    public int VocabSize => Size;
    public int BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;

    public int[] Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <summary>Special ids are dropped; invalid UTF-8 becomes U+FFFD (a sampled model can emit any byte).</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length);
        foreach (var id in ids) if (id is >= 0 and < 256) bytes.Add((byte)id);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }
}
