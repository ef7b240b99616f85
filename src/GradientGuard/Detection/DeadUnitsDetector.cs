using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Measurement;

namespace GradientGuard.Detection;

/// <summary>
/// Layers where a large share of the units had an all-zero gradient (bias entry, or row) at every sampled check of a window
/// (<see cref="UnitActivity"/>): ReLU units that output zero for every input and no longer learn. A share from
/// <see cref="GradientMonitorOptions.DeadUnitsInfoShare"/> is an early sign, from
/// <see cref="GradientMonitorOptions.DeadUnitsWarningShare"/> a warning; a minority of dead units is normal in ReLU
/// nets and raises nothing. Each layer is raised once per episode (again only when it escalates from Info to Warning)
/// and re-armed by a window below the Info share.
/// </summary>
internal sealed class DeadUnitsDetector : IGradientDetector
{
    private readonly Dictionary<string, IssueSeverity> raised = new(StringComparer.Ordinal);

    /// <summary>A changed layer's units are new: an episode raised on the old ones does not silence them.</summary>
    public void OnViewRebuilt(ViewRebuild rebuild)
    {
        foreach (var layer in rebuild.ChangedLayers)
            raised.Remove(layer);
    }

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var readings = context.Snapshot.DeadUnits;
        if (readings.Count == 0)
            return null;
        var options = context.Options;
        var notable = new List<(DeadUnitReading Reading, IssueSeverity Severity)>();
        foreach (var reading in readings)
        {
            IssueSeverity? severity = reading.Share >= options.DeadUnitsWarningShare ? IssueSeverity.Warning
                : reading.Share >= options.DeadUnitsInfoShare ? IssueSeverity.Info
                : null;
            if (severity is not IssueSeverity found)
            {
                raised.Remove(reading.Layer);
                continue;
            }
            if (raised.TryGetValue(reading.Layer, out var before) && before >= found)
                continue;
            raised[reading.Layer] = found;
            notable.Add((reading, found));
        }
        if (notable.Count == 0)
            return null;

        var severityRaised = notable.Max(n => n.Severity);
        var shown = notable.Where(n => n.Severity == severityRaised).Select(n => n.Reading).ToList();
        var worst = shown.OrderByDescending(r => r.Share).First();
        double threshold = severityRaised == IssueSeverity.Warning ? options.DeadUnitsWarningShare : options.DeadUnitsInfoShare;
        var order = context.Watched.Select(w => w.Name).ToList();
        var layers = shown.OrderBy(r => order.IndexOf(r.Layer)).ToList();
        return Explanations.ForDeadUnits(layers, options).Diagnose(
            GradientIssueKind.DeadUnits, context.Step, layers.Select(r => r.Layer).ToList(),
            $"share of dead units in '{worst.Layer}'", worst.Share, threshold) with { Severity = severityRaised };
    }
}
