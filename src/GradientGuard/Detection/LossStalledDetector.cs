using System.Globalization;
using System.Linq;
using GradientGuard.Probing;

namespace GradientGuard.Detection;

/// <summary>
/// Over the last <see cref="GradientMonitorOptions.LossStallWindow"/> checks the loss has not improved (the median of
/// the window's newer half is not <see cref="GradientMonitorOptions.LossImprovement"/> below that of its older half),
/// while it is still within <see cref="GradientMonitorOptions.LossStallProgress"/> of its start (far from its start,
/// and so from zero): the run is not learning. Halves' medians, not a running best, because a noisy minibatch loss sets
/// new record lows by chance for a long time. A loss that made real progress before a plateau (waiting for a
/// learning-rate drop) or converged toward zero is not stalled; a loss that keeps falling improves by the threshold
/// within the window and is not either. Needs the loss passed to <see cref="GradientMonitor.Check"/> (a wrapped
/// optimizer's closure passes it). Not raised while the loss overshoots (see <see cref="Overshooting"/>). Raised once per episode; re-armed once the loss has fallen
/// <see cref="GradientMonitorOptions.LossImprovement"/> below the level it stalled at, a window later.
/// </summary>
internal sealed class LossStalledDetector : IGradientDetector
{
    private readonly LossSeries series = new();
    private bool inEpisode;
    private double raisedLevel;
    private int checksSinceRaised;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        if (!series.Observe(context.Snapshot.Loss, options.LossStartChecks, options.LossStallWindow) || !series.Started || series.Window.Count < options.LossStallWindow)
            return null;

        var (older, newer) = series.HalfMedians();
        if (inEpisode)
        {
            // Re-armed only by a real drop below the stalled level, a window after it was raised: the halves' medians of
            // a flat, noisy loss dip below each other now and then by chance.
            if (++checksSinceRaised >= options.LossStallWindow && newer < raisedLevel * (1 - options.LossImprovement))
                inEpisode = false;
            return null;
        }
        double progress = 1 - newer / series.Start;
        if (newer < older * (1 - options.LossImprovement) || progress >= options.LossStallProgress || Overshooting(context))
            return null;
        inEpisode = true;
        raisedLevel = newer;
        checksSinceRaised = 0;

        string cause = string.Format(CultureInfo.InvariantCulture,
            "over the last {0} checks the loss has not fallen {1:0.#} % (median {2:G3}, then {3:G3}) and is still at {4:0} % of its start {5:G3}: " +
            "the steps are too small to make progress (a learning rate too low), or the gradient does not reach the layers that must learn (vanishing, saturated or dead units)",
            options.LossStallWindow, 100 * options.LossImprovement, older, newer, 100 * newer / series.Start, series.Start);
        bool saturating = context.Traits.SaturatingActivations.Count > 0 || context.Snapshot.Activations.Any(a => a.Kind.IsSaturating());
        string advice = "try a learning rate 3-10x higher (a short range test finds it); initialize to suit the activations, kaiming_normal_ for ReLU-family (quick fix of GG0002)" +
                        (saturating ? ", and replace hidden Sigmoid/Tanh with ReLU-family activations (GG0001)" : "") +
                        "; look at the monitor's Vanishing, Saturation and DeadUnits diagnostics for the layers that do not learn; check that the optimizer holds the model's parameters";
        return new Explanation(cause, advice, RuleIds.Initialization).Diagnose(GradientIssueKind.LossStalled, context.Step, System.Array.Empty<string>(),
            "loss relative to its start", newer / series.Start, 1 - options.LossStallProgress);
    }

    /// <summary>
    /// A loss that is flat because the steps overshoot, not because they are too small: it swings (90th/10th percentile at
    /// least <see cref="GradientMonitorOptions.LossSwingFactor"/> apart), or oscillation, explosion, non-finite values or
    /// too large updates were raised within the window. "Raise the learning rate" would be the opposite of the fix, and
    /// those diagnostics already give the right one.
    /// </summary>
    private bool Overshooting(CheckContext context)
    {
        var values = series.Window.ToArray();
        if (LossSeries.Quantile(values, 0.9) >= context.Options.LossSwingFactor * LossSeries.Quantile(values, 0.1))
            return true;
        long since = context.Step - context.Options.LossStallWindow;
        return context.History.Concat(context.RaisedThisCheck).Any(d => d.Step > since &&
            d.Kind is GradientIssueKind.LossOscillating or GradientIssueKind.Exploding or GradientIssueKind.NonFinite or GradientIssueKind.UpdateTooLarge);
    }
}
