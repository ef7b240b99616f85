using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace GradientGuard;

/// <summary>
/// What <see cref="GradientMonitor"/> watches, when it speaks up, what it does about it and where it reports.
/// The defaults are tuned so that healthy training (ReLU with He init, BatchNorm CNNs, residual nets, LSTMs
/// with clipping, dropout, warm-up, learning-rate schedules, embeddings, frozen layers, a loss converging to zero)
/// raises nothing; see docs/runtime.md for the reasoning behind each number.
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
    /// Earliest layer's gradient norm over the latest layer's below which an early sign of vanishing (severity Info)
    /// is raised once, when it holds for <see cref="VanishingPatience"/> checks: the early layers then learn about
    /// 1/ratio times slower than the last. Default 1e-2 (a hundredfold); must lie above <see cref="VanishingDepthRatio"/>.
    /// </summary>
    public double VanishingEarlyRatio { get; set; } = 1e-2;

    /// <summary>
    /// Share of a hidden Sigmoid/Tanh module's outputs in the flat tails (Sigmoid below 0.02 or above 0.98, |Tanh| above
    /// 0.98), averaged over <see cref="SaturationWindow"/> probe readings, at which the activations are saturated. Default 0.5.
    /// </summary>
    public double SaturationThreshold { get; set; } = 0.5;

    /// <summary>
    /// Probe readings of a Sigmoid/Tanh module averaged before saturation is judged, one every <see cref="ProbeEvery"/>
    /// checks: with the defaults, the first judgement comes at check 16, over 16 steps. Default 4.
    /// </summary>
    public int SaturationWindow { get; set; } = 4;

    /// <summary>
    /// How far (a factor, either way) a Linear/Conv layer's weight spread, RMS·sqrt(fan_in) at the first check, may lie
    /// from the range of suited initializations (TorchSharp's default 0.58 up to He's 1.41 for ReLU, 5/3 for Tanh, and
    /// Xavier's value for the layer's shape) before it is poor initialization. Default 4.
    /// </summary>
    public double PoorInitFactor { get; set; } = 4;

    /// <summary>Checks whose losses' median is the loss's start, against which the loss detectors measure progress. Default 10.</summary>
    public int LossStartChecks { get; set; } = 10;

    /// <summary>
    /// Checks over which a loss that does not improve has stalled: the median of the window's newer half is compared with
    /// that of its older half. Default 200.
    /// </summary>
    public int LossStallWindow { get; set; } = 200;

    /// <summary>
    /// Relative drop between the medians of a window's older and newer half that counts as an improvement (a downward
    /// trend). Default 0.05: the medians of a noisy minibatch loss over a few dozen checks differ by a few percent by chance.
    /// </summary>
    public double LossImprovement { get; set; } = 0.05;

    /// <summary>
    /// A stalled loss is raised only while it has fallen by less than this share of its start (far from its start, and so
    /// from zero): a plateau after real progress, as before a learning-rate drop, is not a stall. Default 0.25.
    /// </summary>
    public double LossStallProgress { get; set; } = 0.25;

    /// <summary>
    /// A flat loss far from its start is raised as stalled only with evidence of a cause that keeps it from learning, since
    /// a monitor attached to a resumed or converged run takes its first losses (already the final level) as the start: the
    /// largest update-to-weight ratio sampled over the window stays below this value (steps too small to make progress),
    /// or most of the model's parameters get no gradient, or the vanishing, saturation, dead-unit, update-too-small or
    /// no-gradient diagnostics were raised within the window. With no update sample in the window (sampling off or
    /// stopped), the loss alone decides. Default 1e-4, ten times below a healthy step (about 1e-3): a converged run still
    /// steps at a few 1e-4 (its minibatch gradients do not vanish), a learning rate far too low at 1e-5 and below. A
    /// resumed run at a learning rate that steps it by less than 1e-4 still gets the loss-only judgement.
    /// </summary>
    public double LossStallUpdateRatio { get; set; } = 1e-4;

    /// <summary>Checks whose losses are judged together for oscillation. Default 50.</summary>
    public int LossOscillationWindow { get; set; } = 50;

    /// <summary>Ratio of the 90th to the 10th percentile of the window's losses at which the loss swings. Default 10.</summary>
    public double LossSwingFactor { get; set; } = 10;

    /// <summary>
    /// Share of its start the window's median loss must stay above for a swing to count as oscillation: a loss that
    /// converged near zero has large relative noise and is not oscillating. Default 0.1.
    /// </summary>
    public double LossOscillationLevel { get; set; } = 0.1;

    /// <summary>
    /// Count dead units every N checks (a test of each Linear/convolution bias gradient, or of the weight-gradient rows
    /// of a layer without one, at those checks; no synchronization). Dead units stay dead, so sampling loses little: a
    /// unit alive on a few batches only may count as dead, and such a unit hardly learns either. Default 5.
    /// </summary>
    public int DeadUnitsEvery { get; set; } = 5;

    /// <summary>
    /// Sampled checks (each <see cref="DeadUnitsEvery"/> checks apart, counting only those where the layer got a
    /// gradient) over which a unit must have had an all-zero gradient (bias entry, or row) every time to count as dead.
    /// Default 5 (a window of 25 steps with the defaults).
    /// </summary>
    public int DeadUnitsWindow { get; set; } = 5;

    /// <summary>
    /// Share of a layer's units dead over a window from which an early sign (<see cref="IssueSeverity.Info"/>) is raised:
    /// a majority, SageMaker's dead-ReLU line (a minority of dead units is normal in ReLU nets). Default 0.5.
    /// </summary>
    public double DeadUnitsInfoShare { get; set; } = 0.5;

    /// <summary>Share of a layer's units dead over a window from which a warning is raised (AUTOTRAINER's dying-ReLU line). Default 0.7.</summary>
    public double DeadUnitsWarningShare { get; set; } = 0.7;

    /// <summary>
    /// Measure each layer's update-to-weight ratio ‖ΔW‖/‖W‖ every N checks: a device copy of the weights kept over one
    /// step, then freed. With a monitor-wrapped optimizer it is the optimizer's actual step; without, the change of the
    /// weights between that check and the next. Default 20: the sample is the costliest part of a check after the
    /// norms (every 10 checks cost the benchmark MLP's step about 1 % more, benchmarks/README.md), and a wrong step size
    /// stays wrong for far longer than 20 steps.
    /// </summary>
    public int UpdateRatioEvery { get; set; } = 20;

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
    /// Hook Sigmoid and Tanh modules to measure saturated outputs: the evidence of
    /// <see cref="GradientIssueKind.Saturation"/>, and of the cause a vanishing diagnostic names. Hooks fire only when
    /// modules run through <c>call()</c> (and inside <c>Sequential</c>); without readings, saturation is not raised. Default true.
    /// </summary>
    public bool ProbeActivations { get; set; } = true;

    /// <summary>
    /// Read the activations of one step in N: the probe's hooks record only the forward passes before every N-th check
    /// (and before the first), each reading then describing the model until the next. A reading costs a few tensor
    /// operations per activation module and forward pass, while saturation and dead outputs change over tens of steps.
    /// <see cref="SaturationWindow"/> counts these readings. Default 5.
    /// </summary>
    public int ProbeEvery { get; set; } = 5;

    /// <summary>Action: scale gradients down to this global L2 norm when above it, reusing the norms the check computed. Default off.</summary>
    public double? ClipMaxNorm { get; set; }

    /// <summary>Action: when a gradient or the loss is NaN/Infinity, zero the gradients and skip the optimizer step. Default off.</summary>
    public bool SkipNonFiniteSteps { get; set; }

    /// <summary>
    /// Action: throw <see cref="GradientGuardException"/> when a diagnostic of one of these kinds is raised with severity
    /// <see cref="IssueSeverity.Warning"/> (an early sign, <see cref="IssueSeverity.Info"/>, never throws). Default: none.
    /// </summary>
    public ICollection<GradientIssueKind> FailFastOn => failFastOn;

    private HashSet<GradientIssueKind> failFastOn = new();

    /// <summary>Sink: each diagnostic becomes a structured log event (Warning; Error for non-finite values).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Sink: a JSON Lines file with one line per check and per diagnostic, flushed line by line.</summary>
    public string? JsonLinesPath { get; set; }

    /// <summary>Sink: a folder for TensorBoard event files (per-layer and global gradient norms, loss, diagnostics as text).</summary>
    public string? TensorBoardLogDir { get; set; }

    /// <summary>
    /// Sink: publish checks, gradient norms (global and per layer), non-finite values, clipped and skipped steps and a
    /// diagnostics counter on the <c>GradientGuard</c> meter, for OpenTelemetry (docs/opentelemetry.md). Default true.
    /// </summary>
    public bool EmitMetrics { get; set; } = true;

    /// <summary>
    /// Sink: the findings file (docs/findings.md) the GradientGuard analyzers read to show what training observed on the
    /// model's code (rules GG1001-GG1003). Left unset, it is the path the GradientGuard package's build recorded in the
    /// assembly that defines the model (<c>obj/gradientguard.findings.json</c> of its project; the entry assembly's when
    /// the model type is a library one, such as a bare <c>Sequential</c>), or none when no build recorded one. Set it to
    /// a path to write there, or to null to write no findings file.
    /// </summary>
    public string? FindingsPath
    {
        get => findingsPath;
        set
        {
            findingsPath = value;
            FindingsPathSet = true;
        }
    }

    private string? findingsPath;

    /// <summary>Whether <see cref="FindingsPath"/> was set (to a path or to null): then no default applies.</summary>
    internal bool FindingsPathSet { get; private set; }

    /// <summary>
    /// The most layers that are metric series of their own (the <c>gradientguard.layer</c> tag); the others are
    /// taken together under "(other)", so a deep model cannot flood a metrics backend. Those that keep theirs are the
    /// layers nearest the input and nearest the output, half each, fixed at the first check (docs/opentelemetry.md).
    /// 0 puts every layer under "(other)". Default 16.
    /// </summary>
    public int MetricsLayerLimit { get; set; } = 16;

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
        Require(MetricsLayerLimit >= 0, nameof(MetricsLayerLimit), $"must not be negative, was {MetricsLayerLimit}");
        Require(IsFinite(VanishingEarlyRatio) && VanishingEarlyRatio > VanishingDepthRatio && VanishingEarlyRatio < 1, nameof(VanishingEarlyRatio),
            $"must lie between VanishingDepthRatio ({VanishingDepthRatio}) and 1, was {VanishingEarlyRatio}");
        RequireShare(SaturationThreshold, nameof(SaturationThreshold));
        Require(SaturationWindow >= 1, nameof(SaturationWindow), $"must be at least 1, was {SaturationWindow}");
        Require(ProbeEvery >= 1, nameof(ProbeEvery), $"must be at least 1, was {ProbeEvery}");
        Require(IsFinite(PoorInitFactor) && PoorInitFactor > 1, nameof(PoorInitFactor), $"must be a finite number above 1, was {PoorInitFactor}");
        Require(LossStartChecks >= 1, nameof(LossStartChecks), $"must be at least 1, was {LossStartChecks}");
        Require(LossStallWindow >= 4, nameof(LossStallWindow), $"must be at least 4, was {LossStallWindow}");
        RequireShare(LossImprovement, nameof(LossImprovement));
        RequireShare(LossStallProgress, nameof(LossStallProgress));
        Require(IsFinite(LossStallUpdateRatio) && LossStallUpdateRatio > 0, nameof(LossStallUpdateRatio), $"must be a finite number above 0, was {LossStallUpdateRatio}");
        Require(LossOscillationWindow >= 4, nameof(LossOscillationWindow), $"must be at least 4, was {LossOscillationWindow}");
        Require(IsFinite(LossSwingFactor) && LossSwingFactor > 1, nameof(LossSwingFactor), $"must be a finite number above 1, was {LossSwingFactor}");
        RequireShare(LossOscillationLevel, nameof(LossOscillationLevel));
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
        Require(FindingsPath is null || !string.IsNullOrWhiteSpace(FindingsPath), nameof(FindingsPath), "must be a file path or null");
    }

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    private static void RequirePositive(double value, string name) =>
        Require(IsFinite(value) && value > 0, name, $"must be a positive finite number, was {value}");

    private static void RequireShare(double value, string name) =>
        Require(IsFinite(value) && value > 0 && value < 1, name, $"must lie between 0 and 1, was {value}");

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentException($"GradientMonitorOptions.{name} {problem}.", name);
    }
}
