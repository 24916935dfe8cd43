using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>A named float32 tensor in row-major order.</summary>
public sealed record NamedTensor(string Name, long[] Shape, float[] Data);

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header of dtype/shape/data_offsets,
/// then the concatenated bytes). Hand-written because it is ~80 lines and no .NET package for it is in
/// the registry copy. Trainer writes checkpoints with it; the exporter reads them without TorchSharp.
/// </summary>
public static class SafeTensors
{
    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in list)
        {
            long count = t.Shape.Aggregate(1L, (a, b) => a * b);
            if (count != t.Data.Length)
                throw new ArgumentException($"tensor {t.Name}: shape [{string.Join(",", t.Shape)}] holds {count} values, data has {t.Data.Length}");
            long end = offset + count * 4;
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces so tensor data starts 8-byte aligned (as the reference writer does).
        int pad = (8 - headerBytes.Length % 8) % 8;
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(headerBytes.Length + pad));
            fs.Write(len);
            fs.Write(headerBytes);
            for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
            foreach (var t in list)
                fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads every tensor of one file as float32 (F32, BF16 and F16 are accepted).</summary>
    public static Dictionary<string, NamedTensor> Read(string path)
    {
        var file = SafeTensorsFile.Open(path);
        return file.Entries.Keys.ToDictionary(n => n, n => new NamedTensor(n, file.Entries[n].Shape, file.Read(n)), StringComparer.Ordinal);
    }
}
