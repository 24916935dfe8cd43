using OnnxRftPipeline.Contracts.Models;
using OnnxRftPipeline.Trainer.Data;
using OnnxRftPipeline.Trainer.Model;

// TorchSharp's thread count and seed are process-wide; tests that train must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OnnxRftPipeline.Trainer.Tests;

static class TestData
{
    /// <summary>Every single-digit addition "a+b=" → "c": 100 examples.</summary>
    public static List<TrainExample> Addition() =>
        (from a in Enumerable.Range(0, 10) from b in Enumerable.Range(0, 10)
         select new TrainExample($"add-{a}-{b}", $"{a}+{b}=", (a + b).ToString())).ToList();

    public static LlamaConfig Tiny(bool tied = true, int kvHeads = 2)
    {
        var c = Presets.Get("tiny");
        c.TieWordEmbeddings = tied;
        c.NumKeyValueHeads = kvHeads;
        return c;
    }

    static readonly System.Collections.Concurrent.ConcurrentBag<string> Created = [];

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "rft-trainer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        Created.Add(d);
        return d;
    }

    /// <summary>Deletes the folders tests made (tests run one at a time, see the assembly attribute).</summary>
    public static void CleanUp()
    {
        while (Created.TryTake(out var d))
            try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }
}
