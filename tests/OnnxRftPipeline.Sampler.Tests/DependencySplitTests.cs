using System.Reflection;
using OnnxRftPipeline.Sampler.Engine;

namespace OnnxRftPipeline.Sampler.Tests;

/// <summary>
/// The design's split, checked on the built assemblies: the sampler side never loads TorchSharp (libtorch is
/// ~600 MB the sampling pods must not carry), whatever a later change adds to its project references.
/// </summary>
public class DependencySplitTests
{
    [Fact]
    public void The_sampler_does_not_depend_on_TorchSharp_directly_or_through_a_project()
    {
        var closure = ReferenceClosure(typeof(Generator).Assembly);
        Assert.Contains("OnnxRftPipeline.Contracts", closure);          // the walk sees project references
        Assert.Contains("Microsoft.ML.OnnxRuntime", closure);           // and package references
        Assert.DoesNotContain(closure, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain("OnnxRftPipeline.Trainer", closure);
    }

    /// <summary>Names of every assembly reachable through references from <paramref name="root"/>.</summary>
    static SortedSet<string> ReferenceClosure(Assembly root)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var todo = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (todo.TryPop(out var name))
        {
            if (!seen.Add(name.Name!)) continue;
            Assembly loaded;
            try { loaded = Assembly.Load(name); }
            catch (FileNotFoundException) { continue; }   // facade of the shared framework not present as a file
            foreach (var r in loaded.GetReferencedAssemblies()) todo.Push(r);
        }
        return seen;
    }
}
