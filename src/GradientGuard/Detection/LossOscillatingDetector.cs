using System.Globalization;
using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// The loss swings up and down with no downward trend, over the last
/// <see cref="GradientMonitorOptions.LossOscillationWindow"/> checks: the 90th percentile of the window's losses is at
/// least <see cref="GradientMonitorOptions.LossSwingFactor"/> times the 10th, the median of its second half is not
/// <see cref="GradientMonitorOptions.LossImprovement"/> below that of its first half, and the window's median is still
/// above <see cref="GradientMonitorOptions.LossOscillationLevel"/> of the loss's start. Percentiles, because a healthy
/// minibatch loss has a few hard batches; the level, because a loss converged near zero has large relative noise (its
/// batches differ by orders of magnitude) and is done, not oscillating. Raised once per episode; re-armed after a
/// whole window in which the swing did not hold.
/// </summary>
internal sealed class LossOscillatingDetector : IGradientDetector
{
    private readonly LossSeries series = new();
    private bool inEpisode;
    private int quietChecks;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        if (!series.Observe(context.Snapshot.Loss, options.LossStartChecks, options.LossOscillationWindow) || !series.Started || series.Window.Count < options.LossOscillationWindow)
            return null;

        var (firstHalf, secondHalf) = series.HalfMedians();
        var values = series.Window.ToArray();
        double median = LossSeries.Median(values);
        double low = LossSeries.Quantile(values, 0.1), high = LossSeries.Quantile(values, 0.9);
        double swing = high / low;
        bool oscillating = swing >= options.LossSwingFactor
                           && secondHalf >= firstHalf * (1 - options.LossImprovement)
                           && median >= options.LossOscillationLevel * series.Start;
        if (!oscillating)
        {
            if (++quietChecks >= options.LossOscillationWindow)
                inEpisode = false;
            return null;
        }
        quietChecks = 0;
        if (inEpisode)
            return null;
        inEpisode = true;

        string cause = string.Format(CultureInfo.InvariantCulture,
            "over the last {0} checks the loss swings between {1:G3} and {2:G3} (10th and 90th percentile, {3:G3}x apart) with no downward trend " +
            "(median {4:G3}, then {5:G3}), at {6:0} % of its start {7:G3}: the steps overshoot the minimum they aim at, the sign of a learning rate too high",
            options.LossOscillationWindow, low, high, swing, firstHalf, secondHalf, 100 * median / series.Start, series.Start);
        return new Explanation(cause,
                "lower the learning rate 3-10x, or add a warm-up; clip gradients between backward() and step() with clip_grad_norm_ (quick fix of GG0003) or set GradientMonitorOptions.ClipMaxNorm",
                RuleIds.StepWithoutGradientClipping)
            .Diagnose(GradientIssueKind.LossOscillating, context.Step, System.Array.Empty<string>(),
                $"90th/10th percentile ratio of the last {options.LossOscillationWindow} losses", swing, options.LossSwingFactor);
    }
}
