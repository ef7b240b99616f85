using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure.Observed;

/// <summary>What <see cref="StepPlacement.Place"/> found: a step to report on, or why there is none.</summary>
internal readonly struct StepPlacementResult
{
    private StepPlacementResult(StepOutcome outcome, IInvocationOperation? step)
    {
        Outcome = outcome;
        Step = step;
    }

    public static StepPlacementResult Stale => new(StepOutcome.Stale, null);

    public static StepPlacementResult Clipped => new(StepOutcome.Clipped, null);

    public static StepPlacementResult NoStep => new(StepOutcome.NoStep, null);

    public static StepPlacementResult On(IInvocationOperation step) => new(StepOutcome.Placed, step);

    public StepOutcome Outcome { get; }

    /// <summary>The step, when <see cref="Outcome"/> is <see cref="StepOutcome.Placed"/>.</summary>
    public IInvocationOperation? Step { get; }

    /// <summary>The optimizer's own parameters() for GG0003's fix: a GuardedOptimizer hands out the wrapped one's.</summary>
    public string? Parameters => Step?.Instance is { } optimizer ? optimizer.Syntax + ".parameters()" : null;
}

internal enum StepOutcome
{
    /// <summary>On the step: report there.</summary>
    Placed,

    /// <summary>The method clips its gradients now (the fix was applied): stay silent.</summary>
    Clipped,

    /// <summary>The recorded line is not in the file any more: stay silent.</summary>
    Stale,

    /// <summary>No step after the recorded call in its method, nor through the optimizer it stores: the model class gets it.</summary>
    NoStep,
}
