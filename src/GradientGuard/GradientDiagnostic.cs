using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace GradientGuard;

/// <summary>A gradient problem the monitor found: what, where, how bad, why, and what to change.</summary>
public sealed record GradientDiagnostic
{
    /// <summary>What went wrong (vanishing, exploding or non-finite gradients, dead units, a stalled loss, ...).</summary>
    public required GradientIssueKind Kind { get; init; }

    /// <summary><see cref="IssueSeverity.Warning"/> for clear trouble (the default), <see cref="IssueSeverity.Info"/> for an early sign.</summary>
    public IssueSeverity Severity { get; init; } = IssueSeverity.Warning;

    /// <summary>The training step (1-based count of <see cref="GradientMonitor.Check"/> calls; a repeated check of one step counts once) at which it was raised.</summary>
    public required long Step { get; init; }

    /// <summary>The layers concerned, from the input side toward the output.</summary>
    public required IReadOnlyList<string> Layers { get; init; }

    /// <summary>The measured value that crossed the threshold (a norm, a ratio or a count; <see cref="Measure"/> says which); NaN for a sink failure, which has none.</summary>
    public required double Value { get; init; }

    /// <summary>The threshold it crossed; NaN when there is none.</summary>
    public required double Threshold { get; init; }

    /// <summary>What <see cref="Value"/> measures, in words (e.g. "global gradient norm").</summary>
    public required string Measure { get; init; }

    /// <summary>The likely cause in words, e.g. "saturated Sigmoid outputs (93 %) after layer 'fc2'".</summary>
    public required string Cause { get; init; }

    /// <summary>What to change.</summary>
    public required string Advice { get; init; }

    /// <summary>The GradientGuard analyzer rule whose quick fix applies the advice (GG0001, GG0002, GG0003, GG0005, GG0006); empty when no rule does.</summary>
    public required string RuleId { get; init; }

    /// <summary>One-line summary, e.g. "Exploding gradients at step 3 in fc1, fc2: global gradient norm 2.1E+05 (threshold 1E+04)".</summary>
    public string Summary
    {
        get
        {
            var text = new StringBuilder(Headline).Append(" at step ").Append(Step.ToString(CultureInfo.InvariantCulture));
            if (Layers.Count > 0)
                text.Append(" in ").Append(string.Join(", ", Layers));
            text.Append(": ").Append(Measure);
            if (Kind != GradientIssueKind.SinkFailure) // a failed sink has no measured value
                text.Append(' ').Append(Value.ToString("G3", CultureInfo.InvariantCulture));
            if (!double.IsNaN(Threshold))
                text.Append(" (threshold ").Append(Threshold.ToString("G3", CultureInfo.InvariantCulture)).Append(')');
            return text.ToString();
        }
    }

    /// <inheritdoc />
    public override string ToString() => (Severity == IssueSeverity.Info ? "Early sign: " : "") + $"{Summary}. Cause: {Cause}. Fix: {Advice}" + (RuleId.Length > 0 ? $" [{RuleId}]" : "");

    private string Headline => Kind switch
    {
        GradientIssueKind.NonFinite when Layers.Count == 0 => "Non-finite loss", // every gradient was finite
        GradientIssueKind.SinkFailure => "Sink failure",
        GradientIssueKind.NoGradients => "No gradients",
        GradientIssueKind.DeadUnits => "Dead units",
        GradientIssueKind.Saturation => "Saturated activations",
        GradientIssueKind.UpdateTooLarge => "Updates too large",
        GradientIssueKind.UpdateTooSmall => "Updates too small",
        GradientIssueKind.LossStalled => "Loss stalled",
        GradientIssueKind.LossOscillating => "Loss oscillating",
        GradientIssueKind.PoorInitialization => "Poor initialization",
        _ => $"{Kind} gradients",
    };
}
