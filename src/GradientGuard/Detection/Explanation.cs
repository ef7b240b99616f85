using System.Collections.Generic;

namespace GradientGuard.Detection;

/// <summary>A likely cause, what to change, and the analyzer rule whose quick fix applies it.</summary>
internal sealed record Explanation(string Cause, string Advice, string RuleId)
{
    /// <summary>The diagnostic that reports <paramref name="measure"/> crossing <paramref name="threshold"/>, with this explanation.</summary>
    public GradientDiagnostic Diagnose(GradientIssueKind kind, long step, IReadOnlyList<string> layers, string measure, double value, double threshold) => new()
    {
        Kind = kind,
        Step = step,
        Layers = layers,
        Measure = measure,
        Value = value,
        Threshold = threshold,
        Cause = Cause,
        Advice = Advice,
        RuleId = RuleId,
    };
}
