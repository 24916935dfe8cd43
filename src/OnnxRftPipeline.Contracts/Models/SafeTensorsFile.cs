using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Contracts.Models;

/// <summary>One tensor's place in a safetensors file.</summary>
public sealed record SafeTensorEntry(string File, string Dtype, long[] Shape, long Begin, long End)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A safetensors file whose header is read and checked up front and whose tensors are read one at a time, on demand,
/// so a multi-gigabyte checkpoint is never held whole in memory (`rft export` and `rft train --init` convert and drop
/// each tensor in turn). Errors name the file and the tensor.
/// </summary>
public sealed class SafeTensorsFile
{
    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    SafeTensorsFile(string path, Dictionary<string, SafeTensorEntry> entries) { Path = path; Entries = entries; }

    static int DtypeSize(string dtype) => dtype switch { "F32" => 4, "BF16" or "F16" => 2, _ => 0 };

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: safetensors file missing", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = fs.Length;
        Span<byte> len = stackalloc byte[8];
        if (length < 8 || fs.ReadAtLeast(len, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"{path}: too short for a safetensors file (truncated header)");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > (ulong)(length - 8) || headerLen > 100_000_000)
            throw new InvalidDataException($"{path}: truncated safetensors header (header length {headerLen}, file {length} bytes)");
        var headerBytes = new byte[headerLen];
        fs.ReadExactly(headerBytes);
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidDataException($"{path}: empty safetensors header"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new InvalidDataException($"{path}: safetensors header is not valid JSON ({e.Message})"); }
        long dataStart = 8 + (long)headerLen;
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                var shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offs = node["data_offsets"]!.AsArray();
                long begin = dataStart + offs[0]!.GetValue<long>(), end = dataStart + offs[1]!.GetValue<long>();
                var e = new SafeTensorEntry(path, dtype, shape, begin, end);
                if (DtypeSize(dtype) == 0) throw new InvalidDataException($"{path}: tensor {name} has unsupported dtype {dtype} (F32, BF16, F16)");
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"{path}: tensor {name} has a negative dimension");
                if (begin > end || end > length) throw new InvalidDataException($"{path}: tensor {name} data_offsets out of range (file truncated?)");
                if (end - begin != e.Count * DtypeSize(dtype)) throw new InvalidDataException($"{path}: tensor {name} size mismatch ({end - begin} bytes for {e.Count} {dtype} values)");
                entries[name] = e;
            }
            catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException)
            { throw new InvalidDataException($"{path}: tensor {name} has a malformed header entry"); }
        }
        return new SafeTensorsFile(path, entries);
    }

    /// <summary>Reads one tensor as float32 (BF16/F16 widened exactly).</summary>
    public float[] Read(string name)
    {
        var e = Entries[name];
        var data = new float[e.Count];
        var bytes = new byte[e.End - e.Begin];
        using (var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            long done = 0;
            while (done < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan((int)done), e.Begin + done);
                if (n == 0) throw new InvalidDataException($"{Path}: tensor {name} ends past the end of the file");
                done += n;
            }
        }
        switch (e.Dtype)
        {
            case "F32":
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(data);
                break;
            case "BF16":
                for (long i = 0; i < data.Length; i++)
                    data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)i * 2)) << 16);
                break;
            case "F16":
                for (long i = 0; i < data.Length; i++)
                    data[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)i * 2)));
                break;
        }
        return data;
    }
}

/// <summary>
/// A checkpoint's weights: model.safetensors, or shards listed by model.safetensors.index.json (weight_map), as
/// transformers writes them. Headers are read when opened (so a missing shard, a truncated header or a wrong shape is
/// an error before anything is converted); tensors are read on demand.
/// </summary>
public sealed class CheckpointWeights
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    readonly Dictionary<string, SafeTensorsFile> byTensor;
    /// <summary>The files the weights came from, in order (one, or the shards).</summary>
    public IReadOnlyList<string> Files { get; }

    CheckpointWeights(Dictionary<string, SafeTensorsFile> byTensor, IReadOnlyList<string> files) { this.byTensor = byTensor; Files = files; }

    public IEnumerable<string> Names => byTensor.Keys;
    public bool Contains(string name) => byTensor.ContainsKey(name);
    public SafeTensorEntry Entry(string name) => byTensor[name].Entries[name];
    public long[] Shape(string name) => Entry(name).Shape;
    public float[] Read(string name) => byTensor[name].Read(name);
    public NamedTensor Tensor(string name) => new(name, Shape(name), Read(name));
    /// <summary>Bytes the weights take as float32 (what a converted copy costs in memory).</summary>
    public long Float32Bytes => byTensor.Keys.Sum(n => Entry(n).Count * 4);

    /// <summary>SHA-256 of the weight files in order: for one file, that file's own hash (as `sha256sum` prints it).</summary>
    public string ContentSha256()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var p in Files)
        {
            using var fs = File.OpenRead(p);
            int n;
            while ((n = fs.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static bool Exists(string dir) => File.Exists(System.IO.Path.Combine(dir, SingleFile)) || File.Exists(System.IO.Path.Combine(dir, IndexFile));

    public static CheckpointWeights Open(string dir)
    {
        var single = System.IO.Path.Combine(dir, SingleFile);
        var index = System.IO.Path.Combine(dir, IndexFile);
        if (File.Exists(single) && !File.Exists(index))
        {
            var f = SafeTensorsFile.Open(single);
            return new CheckpointWeights(f.Entries.Keys.ToDictionary(n => n, _ => f, StringComparer.Ordinal), [single]);
        }
        if (!File.Exists(index))
            throw new FileNotFoundException($"{dir}: no weights ({SingleFile} or {IndexFile} missing)", single);
        JsonObject map;
        try { map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject() ?? throw new InvalidDataException($"{index}: weight_map missing"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new InvalidDataException($"{index}: invalid index ({e.Message})"); }
        var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var byTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var (name, node) in map)
        {
            string shard;
            try { shard = node!.GetValue<string>(); }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            { throw new InvalidDataException($"{index}: weight_map.{name} must be a file name"); }
            if (shard != System.IO.Path.GetFileName(shard)) throw new InvalidDataException($"{index}: weight_map.{name} '{shard}' must be a file name inside the folder");
            if (!shards.TryGetValue(shard, out var file))
            {
                var path = System.IO.Path.Combine(dir, shard);
                if (!File.Exists(path)) throw new FileNotFoundException($"{index}: shard {shard} (listed for {name}) is missing", path);
                shards[shard] = file = SafeTensorsFile.Open(path);
            }
            if (!file.Entries.ContainsKey(name)) throw new InvalidDataException($"{index}: tensor {name} is not in its shard {shard}");
            byTensor[name] = file;
        }
        return new CheckpointWeights(byTensor, shards.Values.Select(f => f.Path).ToList());
    }

    /// <summary>
    /// Checks names and shapes against what <paramref name="c"/> describes, before any tensor is read: a missing or extra
    /// tensor, or a shape that disagrees with config.json, is an error naming both.
    /// </summary>
    public void CheckAgainst(LlamaConfig c, string configPath)
    {
        var where = Files.Count == 1 ? Files[0] : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Files[0])!, IndexFile);
        var expected = c.ExpectedTensors().ToList();
        foreach (var (name, shape) in expected)
        {
            if (!Contains(name))
                throw new InvalidDataException($"{where}: tensor {name} missing" +
                    (name == LlamaConfig.Names.LmHead ? $" ({configPath} has tie_word_embeddings false)" : ""));
            if (!Shape(name).SequenceEqual(shape))
                throw new InvalidDataException($"{where}: tensor {name} has shape [{string.Join(",", Shape(name))}], {configPath} implies [{string.Join(",", shape)}]");
        }
        var known = expected.Select(e => e.Name).ToHashSet();
        // transformers may store derived buffers (rotary inv_freq) in older checkpoints; they are recomputed, never read.
        // A tied checkpoint saved with its head anyway holds a copy of the embedding: unused, not an error.
        var extra = Names.Where(k => !known.Contains(k) && !k.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
                                     && !(c.TieWordEmbeddings && k == LlamaConfig.Names.LmHead))
            .Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"{where}: tensor {extra[0]} is not part of the model {configPath} describes" +
                (extra.Count > 1 ? $" (and {extra.Count - 1} more)" : ""));
    }
}
