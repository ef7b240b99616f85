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
/// </summary>
internal sealed class VanishingDetector : IGradientDetector
{
    private int towardInputChecks;
    private int everywhereChecks;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        var layers = context.Snapshot.Layers.Where(l => l.IsFinite && l.GradientNorm > 0).ToList();
        if (layers.Count < 2)
        {
            towardInputChecks = everywhereChecks = 0;
            return null;
        }

        var latest = layers[^1];
        double depthRatio = layers[0].GradientNorm / latest.GradientNorm;
        var hidden = layers.Take(layers.Count - 1).ToList();
        var largest = hidden.OrderByDescending(l => l.GradientToWeightRatio).First();

        towardInputChecks = depthRatio < options.VanishingDepthRatio ? towardInputChecks + 1 : 0;
        everywhereChecks = largest.GradientToWeightRatio < options.VanishingUpdateRatio ? everywhereChecks + 1 : 0;

        if (everywhereChecks == options.VanishingPatience)
        {
            return Explanations.ForVanishingEverywhere(largest).Diagnose(
                GradientIssueKind.Vanishing, context.Step, hidden.Select(l => l.Name).ToList(),
                "largest gradient-to-weight ratio", largest.GradientToWeightRatio, options.VanishingUpdateRatio);
        }

        if (towardInputChecks == options.VanishingPatience)
        {
            var vanished = layers.Where(l => l.GradientNorm < options.VanishingDepthRatio * latest.GradientNorm).Select(l => l.Name).ToList();
            return Explanations.ForVanishingTowardInput(context, vanished).Diagnose(
                GradientIssueKind.Vanishing, context.Step, vanished,
                $"gradient norm of '{layers[0].Name}' relative to '{latest.Name}'", depthRatio, options.VanishingDepthRatio);
        }
        return null;
    }
}
