using Google.Protobuf;
using OnnxRftPipeline.Export.Onnx;

namespace OnnxRftPipeline.Export;

/// <summary>
/// Serializes a ModelProto, moving large initializers to an external data file when asked
/// (ONNX external-data convention: location/offset/length entries, data_location EXTERNAL).
/// </summary>
public static class OnnxModelWriter
{
    /// <summary>Initializers below this size stay inline (as onnx's own converter does) to keep constants readable.</summary>
    const int InlineBelowBytes = 1024;
    /// <summary>Offsets are page-aligned so ORT can memory-map the weights.</summary>
    const int Alignment = 4096;

    /// <summary>Writes <paramref name="modelFile"/> in <paramref name="dir"/>; returns the file names written.</summary>
    public static IReadOnlyList<string> Write(ModelProto model, string dir, string modelFile, bool externalData)
    {
        var files = new List<string> { modelFile };
        if (externalData)
        {
            var dataFile = modelFile + ".data";
            using var data = new FileStream(Path.Combine(dir, dataFile), FileMode.CreateNew, FileAccess.Write);
            foreach (var t in model.Graph.Initializer)
            {
                if (t.RawData.Length < InlineBelowBytes) continue;
                long pad = (Alignment - data.Position % Alignment) % Alignment;
                if (pad > 0) data.Write(new byte[pad]);
                long offset = data.Position;
                data.Write(t.RawData.Span);
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataFile });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString() });
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.ClearRawData();
            }
            data.Flush(flushToDisk: true);
            files.Add(dataFile);
        }
        using (var fs = new FileStream(Path.Combine(dir, modelFile), FileMode.CreateNew, FileAccess.Write))
        {
            model.WriteTo(fs);
            fs.Flush(flushToDisk: true);
        }
        return files;
    }

    /// <summary>Total bytes of initializer payloads, to decide on external data before serializing.</summary>
    public static long InitializerBytes(ModelProto model) => model.Graph.Initializer.Sum(t => (long)t.RawData.Length);
}
