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

    /// <summary>Reads every tensor as float32 (F32, BF16 and F16 are accepted).</summary>
    public static Dictionary<string, NamedTensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > (ulong)bytes.Length - 8) throw new InvalidDataException($"{path}: header length {headerLen} exceeds file size");
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLen))!.AsObject();
        long dataStart = 8 + (long)headerLen;
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var dtype = node!["dtype"]!.GetValue<string>();
            var shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offs = node["data_offsets"]!.AsArray();
            long begin = dataStart + offs[0]!.GetValue<long>(), end = dataStart + offs[1]!.GetValue<long>();
            if (end > bytes.Length || begin > end) throw new InvalidDataException($"{path}: tensor {name} data_offsets out of range");
            var span = bytes.AsSpan((int)begin, (int)(end - begin));
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            switch (dtype)
            {
                case "F32":
                    if (span.Length != count * 4) throw new InvalidDataException($"{path}: tensor {name} size mismatch");
                    System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(span).CopyTo(data);
                    break;
                case "BF16":
                    if (span.Length != count * 2) throw new InvalidDataException($"{path}: tensor {name} size mismatch");
                    for (long i = 0; i < count; i++)
                        data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span.Slice((int)i * 2)) << 16);
                    break;
                case "F16":
                    if (span.Length != count * 2) throw new InvalidDataException($"{path}: tensor {name} size mismatch");
                    for (long i = 0; i < count; i++)
                        data[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(span.Slice((int)i * 2)));
                    break;
                default:
                    throw new InvalidDataException($"{path}: tensor {name} has unsupported dtype {dtype}");
            }
            result[name] = new NamedTensor(name, shape, data);
        }
        return result;
    }
}
