using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// Gradient norms far above their own recent level: a sudden jump (global or any layer), a sustained rise of the
/// global norm, or a global norm above the absolute bound. Raised once per episode; re-armed when the norm is back
/// within the growth factor of its level.
/// </summary>
internal sealed class ExplodingDetector : IGradientDetector
{
    private NormBaseline global = new();
    private readonly Dictionary<string, NormBaseline> layers = new(StringComparer.Ordinal);
    private int sustainedChecks;
    private bool inEpisode;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var options = context.Options;
        var snapshot = context.Snapshot;
        double norm = snapshot.GlobalNorm;
        if (snapshot.HasNonFiniteGradient)
            return null; // the non-finite detector speaks for this step

        bool armed = global.Samples >= options.WarmupChecks;
        double globalRatio = armed ? norm / global.Level : 0;
        var jumpedLayers = new List<(LayerGradient Layer, double Ratio)>();
        foreach (var layer in snapshot.Layers)
        {
            var baseline = Baseline(layer.Name);
            double ratio = baseline.Samples >= options.WarmupChecks ? layer.GradientNorm / baseline.Level : 0;
            if (ratio >= options.SustainedGrowthFactor)
                jumpedLayers.Add((layer, ratio));
            baseline.Observe(layer.GradientNorm, options.SustainedGrowthFactor);
        }
        global.Observe(norm, options.SustainedGrowthFactor);

        sustainedChecks = globalRatio >= options.SustainedGrowthFactor ? sustainedChecks + 1 : 0;
        var worstLayer = jumpedLayers.OrderByDescending(j => j.Ratio).FirstOrDefault();

        string? growth = null;
        double value = 0, threshold = 0;
        string measure = "global gradient norm";
        if (norm > options.MaxGradientNorm)
        {
            (value, threshold) = (norm, options.MaxGradientNorm);
            growth = Format("the global gradient norm {0:G3} is above the bound {1:G3}", norm, options.MaxGradientNorm);
        }
        else if (globalRatio >= options.SuddenJumpFactor)
        {
            (value, threshold) = (norm, options.SuddenJumpFactor * (norm / globalRatio));
            growth = Format("the global gradient norm jumped to {0:G3}, {1:G3}x its recent level {2:G3}", norm, globalRatio, norm / globalRatio);
        }
        else if (sustainedChecks >= options.ExplodingPatience)
        {
            (value, threshold) = (norm, options.SustainedGrowthFactor * (norm / globalRatio));
            growth = Format("the global gradient norm has stayed above {0:G3}x its recent level for {1} checks (now {2:G3})", options.SustainedGrowthFactor, sustainedChecks, norm);
        }
        else if (worstLayer.Layer is not null && worstLayer.Ratio >= options.SuddenJumpFactor)
        {
            measure = $"gradient norm of '{worstLayer.Layer.Name}'";
            (value, threshold) = (worstLayer.Layer.GradientNorm, options.SuddenJumpFactor * worstLayer.Layer.GradientNorm / worstLayer.Ratio);
            growth = Format("the gradient norm of layer '{0}' jumped to {1:G3}, {2:G3}x its recent level", worstLayer.Layer.Name, worstLayer.Layer.GradientNorm, worstLayer.Ratio);
        }

        if (growth is null)
        {
            if (globalRatio < options.SustainedGrowthFactor && jumpedLayers.Count == 0)
                inEpisode = false;
            return null;
        }
        if (inEpisode)
            return null;
        inEpisode = true;

        var named = jumpedLayers.Count > 0
            ? jumpedLayers.Select(j => j.Layer.Name).ToList()
            : snapshot.Layers.OrderByDescending(l => l.GradientNorm).Take(3).Select(l => l.Name).ToList();
        var ordered = snapshot.Layers.Select(l => l.Name).Where(named.Contains).ToList();
        return Explanations.ForExploding(context, growth).Diagnose(GradientIssueKind.Exploding, context.Step, ordered, measure, value, threshold);
    }

    /// <summary>
    /// A changed layer's baseline described the old tensors; the global level summed them, so it warms up again too
    /// (a new head's gradient is not a jump of the global norm).
    /// </summary>
    public void OnViewRebuilt(ViewRebuild rebuild)
    {
        foreach (var layer in rebuild.ChangedLayers)
            layers.Remove(layer);
        global = new NormBaseline();
        sustainedChecks = 0;
    }

    private NormBaseline Baseline(string layer)
    {
        if (!layers.TryGetValue(layer, out var baseline))
            layers[layer] = baseline = new NormBaseline();
        return baseline;
    }

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
