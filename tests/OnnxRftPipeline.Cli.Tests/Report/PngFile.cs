using System.Buffers.Binary;

namespace OnnxRftPipeline.Cli.Tests.Report;

/// <summary>Reads a PNG's size straight from its IHDR chunk: an independent check of what SkiaSharp wrote.</summary>
static class PngFile
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static (int Width, int Height) Size(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.True(b.Length > 33, $"{path}: too short for a PNG");
        Assert.Equal(Signature, b[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20)));
    }
}
