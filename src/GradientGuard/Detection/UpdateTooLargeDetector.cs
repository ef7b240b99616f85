using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// Steps that move a layer's weights by more than <see cref="GradientMonitorOptions.UpdateTooLargeRatio"/> of their
/// norm at <see cref="GradientMonitorOptions.UpdatePatience"/> update samples in a row (see
/// <see cref="Measurement.WeightUpdates"/>): the learning rate is too high for the layer, and the weights jump instead of
/// descending. Layers the step did not move, whose weights are zero, or whose numbers are not finite take no part (the
/// non-finite detector speaks for those). Raised once per episode; re-armed by a sample with no layer above the bound.
/// </summary>
internal sealed class UpdateTooLargeDetector : IGradientDetector
{
    private int samplesAbove;
    private bool inEpisode;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var readings = context.Snapshot.Updates;
        if (readings.Count == 0)
            return null; // no sample this check
        var options = context.Options;
        var large = readings.Where(r => r.Moved && double.IsFinite(r.Ratio) && r.Ratio > options.UpdateTooLargeRatio).ToList();
        if (large.Count == 0)
        {
            samplesAbove = 0;
            inEpisode = false;
            return null;
        }
        if (++samplesAbove < options.UpdatePatience || inEpisode)
            return null;
        inEpisode = true;
        var worst = large.OrderByDescending(r => r.Ratio).First();
        return Explanations.ForUpdateTooLarge(large, samplesAbove).Diagnose(
            GradientIssueKind.UpdateTooLarge, context.Step, large.Select(r => r.Layer).ToList(),
            $"update-to-weight ratio of '{worst.Layer}'", worst.Ratio, options.UpdateTooLargeRatio);
    }
}
