using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace GradientGuard;

/// <summary>
/// What <see cref="GradientMonitor"/> watches, when it speaks up, what it does about it and where it reports.
/// The defaults are tuned so that healthy training (ReLU with He init, BatchNorm CNNs, residual nets, LSTMs
/// with clipping) raises nothing; see docs/runtime.md for the reasoning behind each number.
/// </summary>
public sealed class GradientMonitorOptions
{
    /// <summary>Check every N calls of <see cref="GradientMonitor.Check"/>; the others cost nothing. Default 1.</summary>
    public int CheckEvery { get; set; } = 1;

    /// <summary>
    /// Measure weight norms (for the gradient-to-weight ratios and init-scale estimates) every N checks and reuse them
    /// in between: weights move slowly, the ratios are judged by orders of magnitude, and skipping them halves the norm
    /// work of those checks. The first check always measures them. Default 100; 1 measures them at every check (exact
    /// weight norms in every report and log line).
    /// </summary>
    public int WeightNormEvery { get; set; } = 100;

    /// <summary>Checks that only learn each layer's usual gradient size before relative explosion alarms arm. Default 10.</summary>
    public int WarmupChecks { get; set; } = 10;

    /// <summary>Global gradient L2 norm above which a step is exploding, whatever its history. Default 1e4.</summary>
    public double MaxGradientNorm { get; set; } = 1e4;

    /// <summary>A norm this many times its recent level (global or per layer) is a sudden explosion. Default 100.</summary>
    public double SuddenJumpFactor { get; set; } = 100;

    /// <summary>A norm this many times its recent level for <see cref="ExplodingPatience"/> checks is a sustained explosion. Default 10.</summary>
    public double SustainedGrowthFactor { get; set; } = 10;

    /// <summary>Consecutive checks above <see cref="SustainedGrowthFactor"/> before a sustained explosion is raised. Default 3.</summary>
    public int ExplodingPatience { get; set; } = 3;

    /// <summary>Earliest layer's gradient norm over the latest layer's below which gradients vanish toward the input. Default 1e-3 (three orders of magnitude).</summary>
    public double VanishingDepthRatio { get; set; } = 1e-3;

    /// <summary>Largest gradient-to-weight ratio of any layer below which every layer has stopped learning together. Default 1e-7.</summary>
    public double VanishingUpdateRatio { get; set; } = 1e-7;

    /// <summary>Consecutive checks a vanishing condition must hold before it is raised. Default 5.</summary>
    public int VanishingPatience { get; set; } = 5;

    /// <summary>
    /// Count dead units every N checks (one more reduction over each Linear/convolution weight gradient at those checks,
    /// no synchronization). Dead units stay dead, so sampling loses little: a unit alive on a few batches only may
    /// count as dead, and such a unit hardly learns either. Default 5.
    /// </summary>
    public int DeadUnitsEvery { get; set; } = 5;

    /// <summary>
    /// Sampled checks (each <see cref="DeadUnitsEvery"/> checks apart, counting only those where the layer got a
    /// gradient) over which a unit must have had an all-zero gradient row every time to count as dead. Default 5
    /// (a window of 25 steps with the defaults).
    /// </summary>
    public int DeadUnitsWindow { get; set; } = 5;

    /// <summary>Share of a layer's units dead over a window from which an early sign (<see cref="IssueSeverity.Info"/>) is raised. Default 0.3.</summary>
    public double DeadUnitsInfoShare { get; set; } = 0.3;

    /// <summary>Share of a layer's units dead over a window from which a warning is raised (SageMaker's dead-ReLU rule fires above half). Default 0.5.</summary>
    public double DeadUnitsWarningShare { get; set; } = 0.5;

    /// <summary>
    /// Measure each layer's update-to-weight ratio ‖ΔW‖/‖W‖ every N checks: a device copy of the weights kept over one
    /// step, then freed. With a monitor-wrapped optimizer it is the optimizer's actual step; without, the change of the
    /// weights between that check and the next. Default 10.
    /// </summary>
    public int UpdateRatioEvery { get; set; } = 10;

    /// <summary>
    /// Update-to-weight ratio above which a layer's step is too large: each step moves the weights by half their norm
    /// (healthy steps are near 1e-3, Adam's on wide layers up to about 0.1; SageMaker's bound is 10). Default 0.5.
    /// </summary>
    public double UpdateTooLargeRatio { get; set; } = 0.5;

    /// <summary>
    /// Update-to-weight ratio below which, in every layer, steps are too small to learn (SageMaker's bound). Default 1e-8.
    /// </summary>
    public double UpdateTooSmallRatio { get; set; } = 1e-8;

    /// <summary>Consecutive update samples a ratio must stay beyond its bound before it is raised. Default 3.</summary>
    public int UpdatePatience { get; set; } = 3;

    /// <summary>
    /// Layers to watch, by their name in <c>named_modules()</c>; an entry ending in '.' watches every layer under
    /// that prefix. Empty (default): every layer that owns parameters.
    /// </summary>
    public ICollection<string> Layers => layers;

    private List<string> layers = new();

    /// <summary>
    /// Hook Sigmoid, Tanh and ReLU-family modules to measure saturated or dead outputs, so a vanishing warning can
    /// name its cause. Hooks fire only when modules run through <c>call()</c> (and inside <c>Sequential</c>). Default true.
    /// </summary>
    public bool ProbeActivations { get; set; } = true;

    /// <summary>Action: scale gradients down to this global L2 norm when above it, reusing the norms the check computed. Default off.</summary>
    public double? ClipMaxNorm { get; set; }

    /// <summary>Action: when a gradient or the loss is NaN/Infinity, zero the gradients and skip the optimizer step. Default off.</summary>
    public bool SkipNonFiniteSteps { get; set; }

    /// <summary>Action: throw <see cref="GradientGuardException"/> when a diagnostic of one of these kinds is raised. Default: none.</summary>
    public ICollection<GradientIssueKind> FailFastOn => failFastOn;

    private HashSet<GradientIssueKind> failFastOn = new();

    /// <summary>Sink: each diagnostic becomes a structured log event (Warning; Error for non-finite values).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Sink: a JSON Lines file with one line per check and per diagnostic, flushed line by line.</summary>
    public string? JsonLinesPath { get; set; }

    /// <summary>Sink: a folder for TensorBoard event files (per-layer and global gradient norms, loss, diagnostics as text).</summary>
    public string? TensorBoardLogDir { get; set; }

    /// <summary>Sink: publish per-layer gradient norms and a diagnostics counter on the <c>GradientGuard</c> meter. Default true.</summary>
    public bool EmitMetrics { get; set; } = true;

    /// <summary>A copy the monitor keeps, so that changing these options after Attach cannot bypass their validation.</summary>
    internal GradientMonitorOptions Copy()
    {
        var copy = (GradientMonitorOptions)MemberwiseClone();
        copy.layers = new List<string>(Layers);
        copy.failFastOn = new HashSet<GradientIssueKind>(FailFastOn);
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that makes no sense.</summary>
    public void Validate()
    {
        Require(CheckEvery >= 1, nameof(CheckEvery), $"must be at least 1, was {CheckEvery}");
        Require(WeightNormEvery >= 1, nameof(WeightNormEvery), $"must be at least 1, was {WeightNormEvery}");
        Require(WarmupChecks >= 0, nameof(WarmupChecks), $"must not be negative, was {WarmupChecks}");
        RequirePositive(MaxGradientNorm, nameof(MaxGradientNorm));
        Require(IsFinite(SuddenJumpFactor) && SuddenJumpFactor > 1, nameof(SuddenJumpFactor), $"must be a finite number above 1, was {SuddenJumpFactor}");
        Require(IsFinite(SustainedGrowthFactor) && SustainedGrowthFactor > 1, nameof(SustainedGrowthFactor), $"must be a finite number above 1, was {SustainedGrowthFactor}");
        Require(ExplodingPatience >= 1, nameof(ExplodingPatience), $"must be at least 1, was {ExplodingPatience}");
        Require(IsFinite(VanishingDepthRatio) && VanishingDepthRatio > 0 && VanishingDepthRatio < 1, nameof(VanishingDepthRatio), $"must lie between 0 and 1, was {VanishingDepthRatio}");
        Require(IsFinite(VanishingUpdateRatio) && VanishingUpdateRatio > 0 && VanishingUpdateRatio < 1, nameof(VanishingUpdateRatio), $"must lie between 0 and 1, was {VanishingUpdateRatio}");
        Require(VanishingPatience >= 1, nameof(VanishingPatience), $"must be at least 1, was {VanishingPatience}");
        Require(DeadUnitsEvery >= 1, nameof(DeadUnitsEvery), $"must be at least 1, was {DeadUnitsEvery}");
        Require(DeadUnitsWindow >= 1, nameof(DeadUnitsWindow), $"must be at least 1, was {DeadUnitsWindow}");
        Require(IsFinite(DeadUnitsInfoShare) && DeadUnitsInfoShare > 0 && DeadUnitsInfoShare <= 1, nameof(DeadUnitsInfoShare), $"must lie in (0, 1], was {DeadUnitsInfoShare}");
        Require(IsFinite(DeadUnitsWarningShare) && DeadUnitsWarningShare >= DeadUnitsInfoShare && DeadUnitsWarningShare <= 1, nameof(DeadUnitsWarningShare),
            $"must lie between DeadUnitsInfoShare ({DeadUnitsInfoShare}) and 1, was {DeadUnitsWarningShare}");
        Require(UpdateRatioEvery >= 1, nameof(UpdateRatioEvery), $"must be at least 1, was {UpdateRatioEvery}");
        RequirePositive(UpdateTooLargeRatio, nameof(UpdateTooLargeRatio));
        Require(IsFinite(UpdateTooSmallRatio) && UpdateTooSmallRatio > 0 && UpdateTooSmallRatio < UpdateTooLargeRatio, nameof(UpdateTooSmallRatio),
            $"must be a positive number below UpdateTooLargeRatio ({UpdateTooLargeRatio}), was {UpdateTooSmallRatio}");
        Require(UpdatePatience >= 1, nameof(UpdatePatience), $"must be at least 1, was {UpdatePatience}");
        if (ClipMaxNorm is double clip)
            RequirePositive(clip, nameof(ClipMaxNorm));
        Require(Layers.All(l => !string.IsNullOrWhiteSpace(l)), nameof(Layers), "must not contain empty names");
        Require(JsonLinesPath is null || !string.IsNullOrWhiteSpace(JsonLinesPath), nameof(JsonLinesPath), "must be a file path or null");
        Require(TensorBoardLogDir is null || !string.IsNullOrWhiteSpace(TensorBoardLogDir), nameof(TensorBoardLogDir), "must be a folder path or null");
    }

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    private static void RequirePositive(double value, string name) =>
        Require(IsFinite(value) && value > 0, name, $"must be a positive finite number, was {value}");

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentException($"GradientMonitorOptions.{name} {problem}.", name);
    }
}
