namespace GradientGuard;

/// <summary>The ways a training run goes wrong that the monitor tells apart (docs/runtime.md has each one's definition and thresholds).</summary>
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

    /// <summary>A large share of a hidden Linear/Conv layer's units get no gradient for any input over a window (dead ReLUs), so they no longer learn.</summary>
    DeadUnits,

    /// <summary>Sigmoid/Tanh units sit in their flat tails, where they pass almost no gradient back.</summary>
    Saturation,

    /// <summary>Optimizer steps move a layer's weights by far more than a healthy step (update-to-weight ratio far above ~1e-3).</summary>
    UpdateTooLarge,

    /// <summary>Optimizer steps move every layer's weights by far less than a healthy step, so the model barely learns.</summary>
    UpdateTooSmall,

    /// <summary>The loss has not improved over a window while it is still far from its start and from zero.</summary>
    LossStalled,

    /// <summary>The loss swings up and down with no downward trend (typically a learning rate too high).</summary>
    LossOscillating,

    /// <summary>At the start of training, a hidden layer's weights are far from the He/Xavier spread the activation after it needs, so the signal shrinks or grows geometrically with depth.</summary>
    PoorInitialization,
}
