using System.Linq;

namespace GradientGuard.Detection;

/// <summary>NaN or Infinity in any gradient or in the loss: raised at every check where it appears.</summary>
internal sealed class NonFiniteDetector : IGradientDetector
{
    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var snapshot = context.Snapshot;
        var layers = snapshot.Layers.Where(l => !l.IsFinite).ToList();
        bool lossBad = snapshot.Loss is double loss && !double.IsFinite(loss);
        if (layers.Count == 0 && !lossBad)
            return null;

        var names = layers.Select(l => l.Name).ToList();
        var (cause, advice, rule) = Explanations.ForNonFinite(names, snapshot.Loss);
        return new GradientDiagnostic
        {
            Kind = GradientIssueKind.NonFinite,
            Step = context.Step,
            Layers = names,
            Value = layers.Sum(l => l.NonFiniteCount),
            Threshold = 0,
            Measure = lossBad && layers.Count == 0 ? "non-finite loss" : "non-finite gradient values",
            Cause = cause,
            Advice = advice,
            RuleId = rule,
        };
    }
}
