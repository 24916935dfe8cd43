using System.Reflection;
using OnnxRftPipeline.Service.Hosting;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>The service is sampler side: its built assembly never reaches TorchSharp or the trainer.</summary>
public class DependencySplitTests
{
    [Fact]
    public void The_service_does_not_depend_on_TorchSharp_directly_or_through_a_project()
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var todo = new Stack<AssemblyName>(typeof(ServiceHost).Assembly.GetReferencedAssemblies());
        while (todo.TryPop(out var name))
        {
            if (!seen.Add(name.Name!)) continue;
            Assembly loaded;
            try { loaded = Assembly.Load(name); }
            catch (FileNotFoundException) { continue; }   // facade of the shared framework not present as a file
            foreach (var r in loaded.GetReferencedAssemblies()) todo.Push(r);
        }
        Assert.Contains("OnnxRftPipeline.Sampler", seen);
        Assert.Contains("Microsoft.ML.OnnxRuntime", seen);
        Assert.Contains("Polly.Core", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain("OnnxRftPipeline.Trainer", seen);
    }
}
