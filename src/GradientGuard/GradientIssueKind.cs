namespace GradientGuard;

/// <summary>The ways a training run's gradients go wrong.</summary>
public enum GradientIssueKind
{
    /// <summary>Gradients shrink toward zero, so the affected layers stop learning.</summary>
    Vanishing,

    /// <summary>Gradients grow far beyond their usual size, so steps overshoot and the loss diverges.</summary>
    Exploding,

    /// <summary>A gradient or the loss holds NaN or Infinity; one step with it poisons the weights.</summary>
    NonFinite,

    /// <summary>A log sink (logger, JSON Lines file, TensorBoard folder, meter listener) failed; the monitor closed it and went on.</summary>
    SinkFailure,

    /// <summary>A check found no gradient to measure (before any backward(), or every watched parameter frozen or cleared).</summary>
    NoGradients,
}
