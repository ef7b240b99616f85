using System.Collections.Generic;
using System.Globalization;

namespace GradientGuard;

/// <summary>A gradient problem the monitor found: what, where, how bad, why, and what to change.</summary>
public sealed record GradientDiagnostic
{
    /// <summary>Vanishing, exploding or non-finite.</summary>
    public required GradientIssueKind Kind { get; init; }

    /// <summary>The training step (1-based count of <see cref="GradientMonitor.Check"/> calls) at which it was raised.</summary>
    public required long Step { get; init; }

    /// <summary>The layers concerned, from the input side toward the output.</summary>
    public required IReadOnlyList<string> Layers { get; init; }

    /// <summary>The measured value that crossed the threshold (a norm, a ratio or a count; <see cref="Measure"/> says which).</summary>
    public required double Value { get; init; }

    /// <summary>The threshold it crossed.</summary>
    public required double Threshold { get; init; }

    /// <summary>What <see cref="Value"/> measures, in words (e.g. "global gradient norm").</summary>
    public required string Measure { get; init; }

    /// <summary>The likely cause in words, e.g. "saturated Sigmoid outputs (93 %) after layer 'fc2'".</summary>
    public required string Cause { get; init; }

    /// <summary>What to change.</summary>
    public required string Advice { get; init; }

    /// <summary>The GradientGuard analyzer rule whose quick fix applies the advice (GG0001, GG0002, GG0003, GG0005, GG0006).</summary>
    public required string RuleId { get; init; }

    /// <summary>One-line summary.</summary>
    public string Summary => string.Format(
        CultureInfo.InvariantCulture,
        "{0} gradients at step {1} in {2}: {3} {4:G3} (threshold {5:G3})",
        Kind, Step, Layers.Count == 0 ? "the model" : string.Join(", ", Layers), Measure, Value, Threshold);

    /// <inheritdoc />
    public override string ToString() => $"{Summary}. Cause: {Cause}. Fix: {Advice} [{RuleId}]";
}
