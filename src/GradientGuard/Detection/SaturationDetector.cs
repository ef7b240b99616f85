using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradientGuard.Measurement;
using GradientGuard.Probing;

namespace GradientGuard.Detection;

/// <summary>
/// Hidden Sigmoid/Tanh modules whose outputs sit in the flat tails: the activation probe's saturated share, averaged
/// over the module's last <see cref="GradientMonitorOptions.SaturationWindow"/> readings (one every
/// <see cref="GradientMonitorOptions.ProbeEvery"/> checks), at or above
/// <see cref="GradientMonitorOptions.SaturationThreshold"/>. Only hidden activations count: a Sigmoid with no layer
/// after it is the output (before BCELoss), where saturating is the confident prediction the loss trains toward. Needs
/// the probe: without it (<see cref="GradientMonitorOptions.ProbeActivations"/> off, or a model that runs its
/// activations with forward()) it has nothing to read and stays silent. Raised when a module becomes saturated, once
/// per episode (a module is re-armed when its average falls below the threshold); the vanishing that saturation later
/// causes is raised on its own evidence and names it. Modules after a layer that a poor-initialization diagnostic named
/// are not raised: that init is their saturation's cause, already reported.
/// </summary>
internal sealed class SaturationDetector : IGradientDetector
{
    private readonly Dictionary<string, Queue<ActivationReading>> windows = new(StringComparer.Ordinal);
    private readonly HashSet<string> saturated = new(StringComparer.Ordinal);

    /// <summary>An activation after a changed layer reads new pre-activations: its window and episode start again.</summary>
    public void OnViewRebuilt(ViewRebuild rebuild)
    {
        foreach (var activation in windows.Keys.Where(a => rebuild.Traits.LayerBefore(a) is { } layer && rebuild.ChangedLayers.Contains(layer)).ToList())
        {
            windows.Remove(activation);
            saturated.Remove(activation);
        }
    }

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        // Layers a poor-initialization diagnostic named: their activations' saturation is that init's doing, already reported.
        var explained = context.Raised(GradientIssueKind.PoorInitialization).SelectMany(d => d.Layers).ToHashSet(StringComparer.Ordinal);
        var newlySaturated = new List<(ActivationReading Site, double Share, double Derivative)>();
        foreach (var reading in context.Snapshot.Activations)
        {
            if (!reading.Fresh || !reading.Kind.IsSaturating() || !context.Traits.IsHidden(reading.Name)
                || !double.IsFinite(reading.SaturatedFraction) || !double.IsFinite(reading.MeanDerivative))
                continue;
            if (!windows.TryGetValue(reading.Name, out var window))
                windows[reading.Name] = window = new Queue<ActivationReading>(options.SaturationWindow + 1);
            window.Enqueue(reading);
            while (window.Count > options.SaturationWindow)
                window.Dequeue();
            if (window.Count < options.SaturationWindow)
                continue;

            double share = window.Average(r => r.SaturatedFraction);
            if (share < options.SaturationThreshold)
            {
                saturated.Remove(reading.Name);
                continue;
            }
            if (saturated.Add(reading.Name) && !(context.Traits.LayerBefore(reading.Name) is { } layer && explained.Contains(layer)))
                newlySaturated.Add((reading, share, window.Average(r => r.MeanDerivative)));
        }
        if (newlySaturated.Count == 0)
            return null;

        var worst = newlySaturated.OrderByDescending(s => s.Share).First();
        var layers = newlySaturated.Select(s => context.Traits.LayerBefore(s.Site.Name) ?? s.Site.Name).Distinct().ToList();
        var ordered = context.Watched.Select(w => w.Name).Where(layers.Contains).ToList();
        ordered.AddRange(layers.Where(l => !ordered.Contains(l))); // an activation with no layer before it names itself
        return Explain(context, newlySaturated, worst).Diagnose(GradientIssueKind.Saturation, context.Step, ordered,
            $"saturated share of '{worst.Site.Name}' outputs (mean of {options.SaturationWindow} readings)", worst.Share, options.SaturationThreshold);
    }

    private static Explanation Explain(CheckContext context, List<(ActivationReading Site, double Share, double Derivative)> sites, (ActivationReading Site, double Share, double Derivative) worst)
    {
        string before = context.Traits.LayerBefore(worst.Site.Name) is { } layer ? $" after layer '{layer}'" : "";
        string peak = worst.Site.Kind == ActivationKind.Sigmoid ? "0.25" : "1";
        string cause = string.Format(CultureInfo.InvariantCulture,
            "{0:0} % of the outputs of {1} '{2}'{3} sit in its flat tails, where it passes on almost no gradient (mean local derivative {4:G2}, at most {5})",
            100 * worst.Share, worst.Site.Kind, worst.Site.Name, before, worst.Derivative, peak);
        if (sites.Count > 1)
            cause += $"; {sites.Count - 1} more saturated ({Explanations.Quote(sites.Where(s => s != worst).Select(s => s.Site.Name))})";
        cause += "; the layer before feeds it pre-activations too large for its range, from large weights, a high learning rate or unnormalized inputs";
        return new Explanation(cause,
            "replace the hidden Sigmoid/Tanh activations with ReLU, LeakyReLU or GELU (quick fix of GG0001); or keep them and initialize with xavier_uniform_ " +
            "with calculate_gain (GG0002), put BatchNorm/LayerNorm before them (GG0006), or lower the learning rate",
            RuleIds.SaturatingActivationStack);
    }
}
