namespace GradientGuard;

/// <summary>
/// The GradientGuard analyzer rules the runtime's advice points at; each has a quick fix and a page under docs/rules/.
/// The analyzers' own list (GradientGuard.Analyzers.Infrastructure.RuleIds, which this package cannot reference: it ships
/// as an analyzer, not a library) is the source: each constant here has the same name and value there, which a test
/// checks.
/// </summary>
public static class RuleIds
{
    /// <summary>GG0001: deep stack of saturating (Sigmoid/Tanh) activations.</summary>
    public const string SaturatingActivationStack = "GG0001";

    /// <summary>GG0002: initialization that does not suit the network.</summary>
    public const string Initialization = "GG0002";

    /// <summary>GG0003: optimizer step without gradient clipping.</summary>
    public const string StepWithoutGradientClipping = "GG0003";

    /// <summary>GG0005: plain RNN where LSTM/GRU belong.</summary>
    public const string PlainRnn = "GG0005";

    /// <summary>GG0006: deep network without normalization or residual connections.</summary>
    public const string DeepWithoutNormalization = "GG0006";
}
