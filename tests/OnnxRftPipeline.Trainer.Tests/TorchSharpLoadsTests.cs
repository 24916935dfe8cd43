using TorchSharp;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Tests;

/// <summary>
/// Proves the native TorchSharp stack loads on this machine (including the build-time
/// libstdc++ version patch on Debian 12) and computes correct numbers.
/// </summary>
public class TorchSharpLoadsTests
{
    [Fact]
    public void Matmul_matches_hand_computation()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        using var c = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void Autograd_gives_the_analytic_gradient()
    {
        using var x = tensor(new float[] { 3f }, requires_grad: true);
        using var y = x * x * x;   // dy/dx = 3x^2 = 27
        y.backward();
        Assert.Equal(27f, x.grad!.item<float>(), 4);
    }
}
