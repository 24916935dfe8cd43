using OnnxRftPipeline.Sampler.Engine;
using OnnxRftPipeline.TestSupport;

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
        var closure = AssemblyClosure.Of(typeof(Generator).Assembly);
        Assert.Contains("OnnxRftPipeline.Contracts", closure);          // the walk sees project references
        Assert.Contains("Microsoft.ML.OnnxRuntime", closure);           // and package references
        Assert.DoesNotContain(closure, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain("OnnxRftPipeline.Trainer", closure);
    }
}
