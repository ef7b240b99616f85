using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// NaN or Infinity in any gradient or in the loss, raised at the step where it appears. Once the weights are poisoned
/// every later step is NaN too, so it is raised again only after a check with finite values (the skip action still
/// acts on every such step).
/// </summary>
internal sealed class NonFiniteDetector : IGradientDetector
{
    private bool inEpisode;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var snapshot = context.Snapshot;
        var layers = snapshot.Layers.Where(l => !l.IsFinite).ToList();
        bool lossBad = snapshot.Loss is double loss && !double.IsFinite(loss);
        if (layers.Count == 0 && !lossBad)
        {
            inEpisode = false;
            return null;
        }
        if (inEpisode)
            return null;
        inEpisode = true;

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
