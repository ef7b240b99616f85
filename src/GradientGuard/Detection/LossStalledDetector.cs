using System.Collections.Generic;
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
/// within the window and is not either. The start is only the first losses the monitor saw, so a flat loss is raised
/// only with evidence of a cause (see <see cref="CauseSeen"/>): a resumed or converged run is flat at its start too.
/// Needs the loss passed to <see cref="GradientMonitor.Check"/> (a wrapped
/// optimizer's closure passes it). Not raised while the loss overshoots (see <see cref="Overshooting"/>). Raised once per episode; re-armed once the loss has fallen
/// <see cref="GradientMonitorOptions.LossImprovement"/> below the level it stalled at, a window later.
/// </summary>
internal sealed class LossStalledDetector : IGradientDetector
{
    private readonly LossSeries series = new();
    private bool inEpisode;
    private double raisedLevel;
    private int checksSinceRaised;
    // The largest update-to-weight ratio of each update sample within the window, with its step.
    private readonly Queue<(long Step, double Largest)> updateSamples = new();

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        RememberUpdates(context);
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
        if (newer < older * (1 - options.LossImprovement) || progress >= options.LossStallProgress || Overshooting(context) || !CauseSeen(context))
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

    private void RememberUpdates(CheckContext context)
    {
        var ratios = context.Snapshot.Updates.Select(r => r.Ratio).Where(double.IsFinite).ToList();
        if (ratios.Count > 0)
            updateSamples.Enqueue((context.Step, ratios.Max()));
        while (updateSamples.Count > 0 && updateSamples.Peek().Step <= context.Step - context.Options.LossStallWindow)
            updateSamples.Dequeue();
    }

    /// <summary>
    /// Evidence of the cause a stall names, needed because the start is only the first losses the monitor saw: attached
    /// to a resumed run near its final loss, the converged plateau is flat and "at its start" too. Its steps still move
    /// the weights at a healthy rate and its gradient reaches the model; a run that cannot learn has steps too small
    /// (every update sample in the window below <see cref="GradientMonitorOptions.LossStallUpdateRatio"/>), or most of its
    /// parameters get no gradient, or a diagnostic of a cause was raised within the window. Without update samples in
    /// the window (sampling off or stopped) the loss alone decides, as it can tell nothing more.
    /// </summary>
    private bool CauseSeen(CheckContext context)
    {
        if (updateSamples.Count == 0 || updateSamples.Max(s => s.Largest) < context.Options.LossStallUpdateRatio)
            return true;
        long total = context.Watched.Sum(l => l.ElementCount);
        var reached = context.Snapshot.Layers.Where(l => l.IsFinite && l.GradientNorm > 0).Select(l => l.Name).ToHashSet(System.StringComparer.Ordinal);
        long withGradient = context.Watched.Where(l => reached.Contains(l.Name)).Sum(l => l.ElementCount);
        if (2 * withGradient < total)
            return true;
        long since = context.Step - context.Options.LossStallWindow;
        return context.History.Concat(context.RaisedThisCheck).Any(d => d.Step > since &&
            d.Kind is GradientIssueKind.Vanishing or GradientIssueKind.Saturation or GradientIssueKind.DeadUnits or GradientIssueKind.UpdateTooSmall or GradientIssueKind.NoGradients);
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
