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
        if (!snapshot.HasNonFinite)
        {
            inEpisode = false;
            return null;
        }
        if (inEpisode)
            return null;
        inEpisode = true;

        var layers = snapshot.Layers.Where(l => !l.IsFinite).ToList();
        var names = layers.Select(l => l.Name).ToList();
        var explanation = Explanations.ForNonFinite(names, snapshot.Loss);
        if (layers.Count == 0) // every gradient is finite: the loss itself is NaN or Infinity
            return explanation.Diagnose(GradientIssueKind.NonFinite, context.Step, names, "loss", snapshot.Loss!.Value, threshold: double.NaN);
        return explanation.Diagnose(GradientIssueKind.NonFinite, context.Step, names, "non-finite gradient values", layers.Sum(l => l.NonFiniteCount), threshold: 0);
    }
}
