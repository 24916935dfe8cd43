using TorchSharp;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>x·rsqrt(mean(x²)+eps)·weight. TorchSharp has no RMSNorm module, so it is written here.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // Field names are the Hugging Face parameter names: RegisterComponents uses them as state keys.
    readonly TorchSharp.Modules.Parameter weight;
    readonly double eps;

    public RmsNorm(long dim, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(dim));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var norm = x * rsqrt(x.pow(2).mean(new long[] { -1 }, keepdim: true) + eps);
        return (norm * weight).MoveToOuterDisposeScope();
    }
}
