using System;
using System.Globalization;
using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// Two ways gradients vanish, each raised once it has held for <see cref="GradientMonitorOptions.VanishingPatience"/>
/// checks in a row, and re-armed when it stops holding:
/// toward the input (the earliest layer's gradient norm orders of magnitude below the latest layer's), and
/// everywhere at once (every layer but the output layer has a gradient tiny next to its weights, as with a deep
/// stack under poor init; the output layer is left out because its bias keeps a healthy gradient regardless).
/// Layers whose gradient is exactly zero (unused this step) take no part. When both hold, the everywhere case is
/// raised: a whole stack starved by its initialization also starves its input side.
/// Before the alarm, an early sign (severity Info): the earliest layer gets less than
/// <see cref="GradientMonitorOptions.VanishingEarlyRatio"/> of the latest layer's gradient, so it learns that many
/// times slower; raised once per run, and not when the alarm itself is due at the same check.
/// One problem, one report: a vanishing whose cause is the initialization that a poor-initialization diagnostic
/// already named for these layers is not raised again.
/// </summary>
internal sealed class VanishingDetector : IGradientDetector
{
    private int towardInputChecks;
    private int everywhereChecks;
    private int earlyChecks;
    private bool earlySignGiven;

    /// <summary>The first and last layers' ratio is about other tensors now: the runs of checks count again (the once-per-run early sign stays given).</summary>
    public void OnViewRebuilt(ViewRebuild rebuild) => towardInputChecks = everywhereChecks = earlyChecks = 0;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        var layers = context.Snapshot.Layers.Where(l => l.IsFinite && l.GradientNorm > 0).ToList();
        if (layers.Count < 2)
        {
            towardInputChecks = everywhereChecks = earlyChecks = 0;
            return null;
        }

        var latest = layers[^1];
        double depthRatio = layers[0].GradientNorm / latest.GradientNorm;
        var hidden = layers.Take(layers.Count - 1).ToList();
        var largest = hidden.OrderByDescending(l => l.GradientToWeightRatio).First();

        towardInputChecks = depthRatio < options.VanishingDepthRatio ? towardInputChecks + 1 : 0;
        everywhereChecks = largest.GradientToWeightRatio < options.VanishingUpdateRatio ? everywhereChecks + 1 : 0;
        earlyChecks = depthRatio < options.VanishingEarlyRatio ? earlyChecks + 1 : 0;

        if (everywhereChecks == options.VanishingPatience)
        {
            earlySignGiven = true;
            var names = hidden.Select(l => l.Name).ToList();
            return AlreadyExplained(context, names) ? null : Explanations.ForVanishingEverywhere(largest).Diagnose(
                GradientIssueKind.Vanishing, context.Step, names,
                "largest gradient-to-weight ratio", largest.GradientToWeightRatio, options.VanishingUpdateRatio);
        }

        if (towardInputChecks == options.VanishingPatience)
        {
            earlySignGiven = true;
            var vanished = layers.Where(l => l.GradientNorm < options.VanishingDepthRatio * latest.GradientNorm).Select(l => l.Name).ToList();
            var explanation = Explanations.ForVanishingTowardInput(context, vanished);
            return explanation.RuleId == RuleIds.Initialization && AlreadyExplained(context, vanished) ? null : explanation.Diagnose(
                GradientIssueKind.Vanishing, context.Step, vanished,
                $"gradient norm of '{layers[0].Name}' relative to '{latest.Name}'", depthRatio, options.VanishingDepthRatio);
        }

        if (earlyChecks == options.VanishingPatience && !earlySignGiven)
        {
            earlySignGiven = true;
            var slow = layers.Where(l => l.GradientNorm < options.VanishingEarlyRatio * latest.GradientNorm).Select(l => l.Name).ToList();
            var explanation = Explanations.ForVanishingTowardInput(context, slow);
            if (explanation.RuleId == RuleIds.Initialization && AlreadyExplained(context, slow))
                return null;
            string slower = string.Format(CultureInfo.InvariantCulture,
                "'{0}' gets {1:G2}x less gradient than '{2}', so it learns about {1:G2}x slower (the alarm is at {3:G2}x); likely cause: ",
                layers[0].Name, 1 / depthRatio, latest.Name, 1 / options.VanishingDepthRatio);
            return (explanation with { Cause = slower + explanation.Cause }).Diagnose(
                GradientIssueKind.Vanishing, context.Step, slow,
                $"gradient norm of '{layers[0].Name}' relative to '{latest.Name}'", depthRatio, options.VanishingEarlyRatio) with { Severity = IssueSeverity.Info };
        }
        return null;
    }

    // A poor-initialization diagnostic (raised at the first check) that named any of these layers already reported the
    // cause this vanishing would report.
    private static bool AlreadyExplained(CheckContext context, System.Collections.Generic.IReadOnlyList<string> layers) =>
        context.Raised(GradientIssueKind.PoorInitialization).Any(d => d.Layers.Intersect(layers, StringComparer.Ordinal).Any());
}
