using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Loop.Tests.Models;

/// <summary>
/// A deep Sigmoid MLP written as a module class: an input layer, hidden layers built in a loop, an output layer, one
/// Sigmoid module applied after each hidden layer. Its
/// gradients vanish toward the input within a few steps. The end-to-end test trains it, then runs the analyzers on this
/// very file, so its text is part of the test: change it and the expected fix changes with it.
/// </summary>
internal sealed class VanishingNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear input = nn.Linear(16, 32);
    private readonly ModuleList<Linear> hidden = new ModuleList<Linear>();
    private readonly Linear output = nn.Linear(32, 1);
    private readonly Sigmoid act = nn.Sigmoid();

    public VanishingNet() : base(nameof(VanishingNet))
    {
        for (int i = 0; i < 7; i++)
            hidden.Add(nn.Linear(32, 32));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = act.call(input.call(x));
        foreach (var layer in hidden)
            x = act.call(layer.call(x));
        return output.call(x);
    }
}
