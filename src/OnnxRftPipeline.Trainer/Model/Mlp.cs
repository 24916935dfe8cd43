using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OnnxRftPipeline.Trainer.Model;

/// <summary>SwiGLU: down(silu(gate(x))·up(x)); no biases.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Linear gate_proj, up_proj, down_proj;

    public Mlp(int hidden, int intermediate) : base(nameof(Mlp))
    {
        gate_proj = nn.Linear(hidden, intermediate, hasBias: false);
        up_proj = nn.Linear(hidden, intermediate, hasBias: false);
        down_proj = nn.Linear(intermediate, hidden, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x);
        return down_proj.forward(h).MoveToOuterDisposeScope();
    }
}
