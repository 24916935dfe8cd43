using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Bench;

/// <summary>Never stops a row: a benchmark decodes exactly --new-tokens per row whatever the random model emits.</summary>
sealed class NoEos(ITokenizer inner) : ITokenizer
{
    public int VocabSize => inner.VocabSize;
    public int BosId => inner.BosId;
    public int EosId => -1;
    public int PadId => inner.PadId;
    public IReadOnlySet<int> StopIds { get; } = new HashSet<int>();
    public int[] Encode(string text) => inner.Encode(text);
    public int[] EncodeModelInput(string text) => inner.EncodeModelInput(text);
    public string Decode(ReadOnlySpan<int> ids) => inner.Decode(ids);
}
