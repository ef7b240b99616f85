using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GradientGuard.Demo;

/// <summary>
/// The sigmoid-mlp run's model: eight hidden layers with Sigmoid activations at default init, the textbook vanishing
/// network. A class of the demo (not a bare Sequential, a library type) so that the monitor's findings can be placed on
/// its code: after the demo ran, `dotnet build samples/GradientGuard.Demo` shows GG1001 on fc1, the first layer whose
/// gradient vanished, with GG0001's quick fix for the Sigmoid stack.
/// </summary>
internal sealed class SigmoidMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = nn.Linear(16, 32);
    private readonly Sigmoid act1 = nn.Sigmoid();
    private readonly Linear fc2 = nn.Linear(32, 32);
    private readonly Sigmoid act2 = nn.Sigmoid();
    private readonly Linear fc3 = nn.Linear(32, 32);
    private readonly Sigmoid act3 = nn.Sigmoid();
    private readonly Linear fc4 = nn.Linear(32, 32);
    private readonly Sigmoid act4 = nn.Sigmoid();
    private readonly Linear fc5 = nn.Linear(32, 32);
    private readonly Sigmoid act5 = nn.Sigmoid();
    private readonly Linear fc6 = nn.Linear(32, 32);
    private readonly Sigmoid act6 = nn.Sigmoid();
    private readonly Linear fc7 = nn.Linear(32, 32);
    private readonly Sigmoid act7 = nn.Sigmoid();
    private readonly Linear fc8 = nn.Linear(32, 32);
    private readonly Sigmoid act8 = nn.Sigmoid();
    [ComponentName(Name = "out")]
    private readonly Linear output = nn.Linear(32, 1);

    public SigmoidMlp() : base(nameof(SigmoidMlp)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        x = act1.call(fc1.call(x));
        x = act2.call(fc2.call(x));
        x = act3.call(fc3.call(x));
        x = act4.call(fc4.call(x));
        x = act5.call(fc5.call(x));
        x = act6.call(fc6.call(x));
        x = act7.call(fc7.call(x));
        x = act8.call(fc8.call(x));
        return output.call(x);
    }
}
