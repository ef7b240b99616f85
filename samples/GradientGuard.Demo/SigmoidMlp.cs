using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Demo;

/// <summary>
/// The sigmoid-mlp run's model: eight hidden layers with Sigmoid activations at default init, the textbook vanishing
/// network. A class of the demo (not a bare Sequential, a library type) so that the monitor's findings can be placed on
/// its code: after the demo ran, `dotnet build samples/GradientGuard.Demo` shows GG1001 on the first layer whose
/// gradient vanished, with GG0001's quick fix for the Sigmoid stack.
/// </summary>
internal sealed class SigmoidMlp : nn.Module<Tensor, Tensor>
{
    private readonly Sequential body = nn.Sequential(
        ("fc1", nn.Linear(16, 32)), ("act1", nn.Sigmoid()),
        ("fc2", nn.Linear(32, 32)), ("act2", nn.Sigmoid()),
        ("fc3", nn.Linear(32, 32)), ("act3", nn.Sigmoid()),
        ("fc4", nn.Linear(32, 32)), ("act4", nn.Sigmoid()),
        ("fc5", nn.Linear(32, 32)), ("act5", nn.Sigmoid()),
        ("fc6", nn.Linear(32, 32)), ("act6", nn.Sigmoid()),
        ("fc7", nn.Linear(32, 32)), ("act7", nn.Sigmoid()),
        ("fc8", nn.Linear(32, 32)), ("act8", nn.Sigmoid()),
        ("out", nn.Linear(32, 1)));

    public SigmoidMlp() : base(nameof(SigmoidMlp)) => RegisterComponents();

    public override Tensor forward(Tensor x) => body.call(x);
}
