using OnnxRftPipeline.Service.Hosting;
using OnnxRftPipeline.TestSupport;

namespace OnnxRftPipeline.Service.Tests;

/// <summary>The service is sampler side: its built assembly never reaches TorchSharp or the trainer.</summary>
public class DependencySplitTests
{
    [Fact]
    public void The_service_does_not_depend_on_TorchSharp_directly_or_through_a_project()
    {
        var seen = AssemblyClosure.Of(typeof(ServiceHost).Assembly);
        Assert.Contains("OnnxRftPipeline.Sampler", seen);
        Assert.Contains("Microsoft.ML.OnnxRuntime", seen);
        Assert.Contains("Polly.Core", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain("OnnxRftPipeline.Trainer", seen);
    }
}
