namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>Every rule ID, in one place. IDs are never reused; the runtime monitor's advice points at them.</summary>
public static class RuleIds
{
    /// <summary>A deep stack of saturating (Sigmoid/Tanh) hidden activations.</summary>
    public const string SaturatingActivationStack = "GG0001";

    /// <summary>Initialization that does not suit the network.</summary>
    public const string Initialization = "GG0002";

    /// <summary>A deep network without normalization or residual connections.</summary>
    public const string DeepWithoutNormalization = "GG0006";

    /// <summary>optimizer.step() reached after backward() with no gradient clipping between them.</summary>
    public const string StepWithoutGradientClipping = "GG0003";

    /// <summary>Gradient clipping in the wrong place or with a useless bound.</summary>
    public const string MisplacedClipping = "GG0004";

    /// <summary>A plain RNN where LSTM/GRU belong.</summary>
    public const string PlainRnn = "GG0005";

    /// <summary>A numerically unstable loss: NaN/Inf waiting to happen.</summary>
    public const string UnstableLoss = "GG0007";

    /// <summary>A training loop that never resets the gradients.</summary>
    public const string GradientsNeverReset = "GG0008";

    /// <summary>Module fields holding layers in a List, array or Dictionary, which RegisterComponents() skips.</summary>
    public const string UnregisteredLayers = "GG0009";

    /// <summary>Training under the monitor saw the gradients vanish (from the findings file).</summary>
    public const string ObservedVanishing = "GG1001";

    /// <summary>Training under the monitor saw the gradients explode (from the findings file).</summary>
    public const string ObservedExploding = "GG1002";

    /// <summary>Training under the monitor saw NaN/Infinity in the gradients or the loss (from the findings file).</summary>
    public const string ObservedNonFinite = "GG1003";

    /// <summary>A findings file the observed rules cannot read.</summary>
    public const string UnreadableFindings = "GG9002";

    /// <summary>An .editorconfig option of GradientGuard with an unknown key or an invalid value.</summary>
    public const string InvalidOption = "GG9001";
}
