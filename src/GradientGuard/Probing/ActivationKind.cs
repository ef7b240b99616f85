using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Probing;

/// <summary>The activations whose effect on the gradient the monitor knows, one vocabulary for the whole runtime.</summary>
internal enum ActivationKind
{
    /// <summary>Sigmoid: passes on at most 0.25x of the gradient, and nearly nothing in its tails.</summary>
    Sigmoid,

    /// <summary>Tanh: passes on at most 1x of the gradient, and nearly nothing in its tails.</summary>
    Tanh,

    /// <summary>The ReLU family: passes the gradient on unchanged where active (the twelve types the analyzers know).</summary>
    Rectifier,
}

/// <summary>The one classifier of activation modules, shared by the model traits and the activation probe.</summary>
internal static class ActivationKinds
{
    public static ActivationKind? Of(nn.Module module) => module switch
    {
        Sigmoid => ActivationKind.Sigmoid,
        Tanh => ActivationKind.Tanh,
        ReLU or ReLU6 or LeakyReLU or RReLU or PReLU or GELU or SiLU or ELU or SELU or CELU or Mish or Hardswish => ActivationKind.Rectifier,
        _ => null,
    };

    /// <summary>Sigmoid or Tanh: the activations whose tails stop the gradient.</summary>
    public static bool IsSaturating(this ActivationKind kind) => kind is ActivationKind.Sigmoid or ActivationKind.Tanh;
}
