using System.Linq;
using GradientGuard.Measurement;

namespace GradientGuard.Detection;

/// <summary>
/// Steps that move every layer's weights by less than <see cref="GradientMonitorOptions.UpdateTooSmallRatio"/> of their
/// norm at <see cref="GradientMonitorOptions.UpdatePatience"/> update samples in a row: the run barely learns (a
/// learning rate orders of magnitude too low, or gradients that vanish everywhere). It judges the whole model, through
/// its largest ratio: one layer that barely moves while others learn is the vanishing detector's business. To stay
/// silent on healthy runs it counts only samples where the updates are not rising (a warm-up: the learning rate grew
/// since the last sample, or without the wrapper the largest ratio more than doubled), and it disarms for good once
/// any sample reached the bound: updates that were healthy and then shrank are a learning-rate schedule decaying, or a
/// run converging, which the user chose. A layer the step did not move takes no part, except under a wrapped optimizer
/// whose learning rate is positive: there the step ran on a non-zero gradient and still left every weight as it was,
/// so the update fell below the weights' float precision (ratio 0).
/// </summary>
internal sealed class UpdateTooSmallDetector : IGradientDetector
{
    private int samplesBelow;
    private bool disarmed;
    private double? lastLargest;
    private double? lastLearningRate;

    /// <summary>
    /// New or replaced layers are a new run of updates: the detector re-arms and forgets its samples. A run whose
    /// updates stay healthy disarms it again at the next sample.
    /// </summary>
    public void OnViewRebuilt(ViewRebuild rebuild)
    {
        disarmed = false;
        samplesBelow = 0;
        lastLargest = null;
        lastLearningRate = null;
    }

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var readings = context.Snapshot.Updates;
        if (readings.Count == 0 || disarmed)
            return null;
        var options = context.Options;
        var judged = readings
            .Where(r => double.IsFinite(r.WeightNorm) && r.WeightNorm > 0 && double.IsFinite(r.UpdateNorm)
                        && (r.Moved || (r.ActualStep && r.LearningRate > 0)))
            .ToList();
        if (judged.Count == 0)
            return null; // nothing moved: frozen, skipped, or not this optimizer's parameters
        var largest = judged.OrderByDescending(r => r.Ratio).First();
        double? learningRate = largest.LearningRate;
        bool rising = learningRate is double rate && lastLearningRate is double lastRate
            ? rate > lastRate * 1.01
            : lastLargest is double last && largest.Ratio > 2 * last;
        lastLargest = largest.Ratio;
        lastLearningRate = learningRate;

        if (largest.Ratio >= options.UpdateTooSmallRatio)
        {
            disarmed = true;
            return null;
        }
        samplesBelow = rising ? 0 : samplesBelow + 1;
        if (samplesBelow != options.UpdatePatience)
            return null;
        return Explanations.ForUpdateTooSmall(largest, samplesBelow, options).Diagnose(
            GradientIssueKind.UpdateTooSmall, context.Step, judged.Select(r => r.Layer).ToList(),
            "largest update-to-weight ratio", largest.Ratio, options.UpdateTooSmallRatio);
    }
}
