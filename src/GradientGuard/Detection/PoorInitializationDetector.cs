using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradientGuard.Probing;

namespace GradientGuard.Detection;

/// <summary>
/// Judges, once, at the first check that has gradients, each hidden Linear/Conv layer's weight spread
/// (RMS·sqrt(fan_in), <see cref="Measurement.WatchedLayer.InitScale"/>) against the spreads that suit the activation
/// after it: TorchSharp's default init (0.58), He's gain (1.41 for ReLU, 5/3 for Tanh, 1 for Sigmoid) and Xavier's
/// value for the layer's shape. A layer more than <see cref="GradientMonitorOptions.PoorInitFactor"/> outside that
/// range shrinks (or amplifies) the signal by that factor at every layer: the geometric shrinking or growth with depth
/// that makes gradients vanish or explode from the first step. When the activation is unknown (functional relu in
/// forward()), the range is that of every activation together. Left out: layers with a normalization module right
/// after them (BatchNorm/LayerNorm rescale their output, so their weight scale does not reach the signal), the output layer (small or zero heads are a
/// deliberate choice), all-zero weights (zero-initialized branches of residual blocks), embeddings, recurrent and
/// normalization layers, which have no such suited value. Raised once for the layers of the start of training; a layer
/// added or replaced later (see <see cref="OnViewRebuilt"/>) is judged at the first check with gradients after it
/// appears, if it has a gradient there.
/// </summary>
internal sealed class PoorInitializationDetector : IGradientDetector
{
    /// <summary>TorchSharp's (and PyTorch's) default: kaiming_uniform_ with a = sqrt(5), a weight std of 1/sqrt(3·fan_in).</summary>
    internal const double DefaultInitScale = 0.577;

    private bool judgedAtStart;
    // Layers added or replaced after the first judgement, judged at the next check that has gradients.
    private readonly HashSet<string> added = new(StringComparer.Ordinal);

    /// <summary>A new or replaced layer starts from its own initialization: it is judged like the first layers were.</summary>
    public void OnViewRebuilt(ViewRebuild rebuild)
    {
        if (judgedAtStart)
            added.UnionWith(rebuild.ChangedLayers);
    }

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        var snapshot = context.Snapshot;
        if (snapshot.Layers.Count == 0 || (judgedAtStart && added.Count == 0))
            return null;
        bool judgingAll = !judgedAtStart;
        judgedAtStart = true;
        var judging = added.ToHashSet(StringComparer.Ordinal);
        added.Clear();

        double factor = context.Options.PoorInitFactor;
        var measured = snapshot.Layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var poor = new List<(string Name, double Scale, double Low, double High, ActivationKind? After)>();
        foreach (var watched in context.Watched)
        {
            if (!(judgingAll || judging.Contains(watched.Name))
                || !context.Traits.DenseLayers.TryGetValue(watched.Name, out var dense) || dense.IsLast || dense.NormalizedAfter || !measured.Contains(watched.Name))
                continue;
            double scale = context.InitScale(watched);
            if (Judge(dense, scale, factor) is InitJudgement.TooSmall or InitJudgement.TooLarge) // null: scale unknown or zero
            {
                var (low, high) = SuitedRange(dense);
                poor.Add((watched.Name, scale, low, high, dense.ActivationAfter));
            }
        }
        if (poor.Count == 0)
            return null;

        // The layer farthest from its range, by orders of magnitude, is the one the numbers report.
        var worst = poor.OrderByDescending(p => Math.Abs(Math.Log(p.Scale < p.Low ? p.Scale / p.Low : p.Scale / p.High))).First();
        bool small = worst.Scale < worst.Low;
        double threshold = small ? worst.Low / factor : worst.High * factor;
        return Explain(poor.Select(p => p.Name).ToList(), worst.Name, worst.Scale, worst.Low, worst.High, worst.After, small)
            .Diagnose(GradientIssueKind.PoorInitialization, context.Step, poor.Select(p => p.Name).ToList(),
                $"weight RMS·sqrt(fan_in) of '{worst.Name}'", worst.Scale, threshold);
    }

    /// <summary>
    /// The one judgement of a layer's spread <paramref name="scale"/> (RMS·sqrt(fan_in)): more than
    /// <paramref name="factor"/> below or above <see cref="SuitedRange"/>; null when the scale is unknown or zero.
    /// </summary>
    internal static InitJudgement? Judge(ModelTraits.DenseLayer layer, double scale, double factor)
    {
        if (!double.IsFinite(scale) || scale == 0)
            return null;
        var (low, high) = SuitedRange(layer);
        return scale < low / factor ? InitJudgement.TooSmall : scale > high * factor ? InitJudgement.TooLarge : InitJudgement.Suited;
    }

    /// <summary>The spreads that suit a layer: default, He and Xavier for the activation after it, or for any activation when it is unknown.</summary>
    internal static (double Low, double High) SuitedRange(ModelTraits.DenseLayer layer)
    {
        var gains = layer.ActivationAfter is { } kind ? new[] { Gain(kind) } : new[] { 1.0, Math.Sqrt(2), 5.0 / 3 };
        double xavierShape = Math.Sqrt(2.0 * layer.FanIn / (layer.FanIn + layer.FanOut));
        var suited = gains.SelectMany(g => new[] { g, g * xavierShape }).Append(DefaultInitScale).ToList();
        return (suited.Min(), suited.Max());
    }

    // calculate_gain: ReLU family sqrt(2), Tanh 5/3, Sigmoid 1.
    private static double Gain(ActivationKind kind) => kind switch
    {
        ActivationKind.Tanh => 5.0 / 3,
        ActivationKind.Sigmoid => 1.0,
        _ => Math.Sqrt(2),
    };

    private static Explanation Explain(List<string> layers, string worst, double scale, double low, double high, ActivationKind? after, bool small)
    {
        string activation = after is { } kind ? $"the {(kind == ActivationKind.Rectifier ? "ReLU-family activation" : kind.ToString())} after it" : "any activation (the one after it is not a module, so it is unknown)";
        string who = layers.Count == 1 ? $"layer '{worst}'" : $"{layers.Count} layers ({Explanations.Quote(layers)})";
        string cause = string.Format(CultureInfo.InvariantCulture,
            "{0} start with weights far {1} the spread their activation needs: weight RMS·sqrt(fan_in) of '{2}' is {3:G2}, where {4} suits {5:0.00}–{6:0.00} " +
            "(TorchSharp's default 0.58, He 1.41 for ReLU, Xavier with gain for Tanh/Sigmoid); each such layer {7} the signal about {8:G2}x, " +
            "so activations and gradients {9} geometrically with depth",
            who, small ? "below" : "above", worst, scale, activation, low, high,
            small ? "shrinks" : "amplifies", small ? low / scale : scale / high, small ? "shrink (vanish)" : "grow (explode)");
        string advice = after switch
        {
            ActivationKind.Rectifier => "initialize with kaiming_normal_(weight, nonlinearity: ReLU) and zero biases (quick fix of GG0002)",
            ActivationKind.Tanh or ActivationKind.Sigmoid => "initialize with xavier_uniform_(weight, gain: calculate_gain(...)) for the Tanh/Sigmoid after it (quick fix of GG0002)",
            _ => "initialize to suit the activation: kaiming_normal_ for ReLU-family, xavier_uniform_ with calculate_gain for Tanh/Sigmoid, or keep TorchSharp's default (quick fix of GG0002)",
        };
        return new Explanation(cause, advice + "; or add BatchNorm/LayerNorm, which restores the scale at every layer (GG0006)", RuleIds.Initialization);
    }
}
