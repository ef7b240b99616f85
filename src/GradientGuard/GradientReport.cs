using System;
using System.Collections.Generic;

namespace GradientGuard;

/// <summary>What one call of <see cref="GradientMonitor.Check"/> measured, raised and did.</summary>
public sealed class GradientReport
{
    internal GradientReport(long step, bool isChecked, double globalNorm, double? loss, IReadOnlyList<LayerGradient> layers)
    {
        Step = step;
        IsChecked = isChecked;
        GlobalNorm = globalNorm;
        Loss = loss;
        Layers = layers;
    }

    /// <summary>The step: 1 at the first call of <see cref="GradientMonitor.Check"/>; a repeated check of one step has that step's report.</summary>
    public long Step { get; }

    /// <summary>False on steps skipped by <see cref="GradientMonitorOptions.CheckEvery"/>: nothing was measured.</summary>
    public bool IsChecked { get; }

    /// <summary>L2 norm of all watched gradients together (what <c>clip_grad_norm_</c> would return), before any clipping.</summary>
    public double GlobalNorm { get; }

    /// <summary>The loss value, when a loss was passed to <see cref="GradientMonitor.Check"/>.</summary>
    public double? Loss { get; }

    /// <summary>Per-layer statistics, in registration order (input side first); layers without gradients this step are absent.</summary>
    public IReadOnlyList<LayerGradient> Layers { get; }

    /// <summary>The diagnostics raised at this step.</summary>
    public IReadOnlyList<GradientDiagnostic> Diagnostics { get; internal set; } = Array.Empty<GradientDiagnostic>();

    /// <summary>Whether the gradients were scaled down by the clip action; see <see cref="ClipCoefficient"/>.</summary>
    public bool Clipped => ClipCoefficient < 1;

    /// <summary>The factor the clip action multiplied every gradient by (1 when it did not clip).</summary>
    public double ClipCoefficient { get; internal set; } = 1;

    /// <summary>
    /// True when the skip action zeroed the gradients because they (or the loss) were not finite. A wrapped optimizer
    /// (<c>WithMonitor</c>) then does not step; a hand-written loop should not call <c>step()</c> either.
    /// </summary>
    public bool StepSkipped { get; internal set; }

    /// <summary>Whether any gradient or the loss held NaN or Infinity.</summary>
    public bool HasNonFinite { get; internal set; }

    /// <summary>The training-loop call that asked for this check (caller information), for the findings file.</summary>
    internal Output.LoopCallSite CallSite { get; init; }
}
