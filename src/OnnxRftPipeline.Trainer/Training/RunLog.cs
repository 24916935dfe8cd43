using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxRftPipeline.Trainer.Training;

/// <summary>Appends one JSON object per line to the run log; each line is flushed so a killed run keeps its history.</summary>
public sealed class RunLog
{
    public string Path { get; }
    public RunLog(string path) { Path = path; }

    public void Write(string @event, JsonObject fields)
    {
        var line = new JsonObject { ["time"] = DateTime.UtcNow.ToString("O"), ["event"] = @event };
        // JSON has no NaN or infinity: a number that is not finite (a loss never computed) is written as null.
        foreach (var (k, v) in fields)
            line[k] = v is JsonValue jv && jv.TryGetValue(out double d) && !double.IsFinite(d) ? null : v?.DeepClone();
        File.AppendAllText(Path, line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n");
    }
}
