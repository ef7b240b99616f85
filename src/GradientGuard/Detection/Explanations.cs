using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradientGuard.Measurement;
using GradientGuard.Probing;

namespace GradientGuard.Detection;

/// <summary>Turns what was measured and what the model contains into a likely cause, a fix and the analyzer rule that applies it.</summary>
internal static class Explanations
{
    public static Explanation ForVanishingTowardInput(CheckContext context, IReadOnlyList<string> vanished)
    {
        var traits = context.Traits;
        if (traits.PlainRnns.Count > 0)
            return new Explanation($"plain RNN {Quote(traits.PlainRnns)} backpropagates through time by repeated multiplication with the same recurrent matrix",
                    "replace nn.RNN with nn.GRU or nn.LSTM (quick fix of GG0005)", RuleIds.PlainRnn);

        var saturating = context.Snapshot.Activations.Where(a => a.Kind.IsSaturating()).ToList();
        if (saturating.Count > 0 || traits.SaturatingActivations.Count > 0)
        {
            string cause;
            if (saturating.Count > 0)
            {
                var worst = saturating.OrderByDescending(a => a.SaturatedFraction).First();
                string kinds = string.Join("/", saturating.Select(a => a.Kind).Distinct());
                cause = string.Format(CultureInfo.InvariantCulture,
                    "the gradient passes through {0} {1} activations ({2}) that pass on {3:0.00}x of it each on average (Sigmoid at most 0.25x)",
                    saturating.Count, kinds, Quote(saturating.Select(a => a.Name)), saturating.Average(a => a.MeanDerivative));
                if (worst.SaturatedFraction >= 0.05)
                    cause += string.Format(CultureInfo.InvariantCulture, "; saturated {0} outputs ({1:0} %) after layer '{2}'",
                        worst.Kind, 100 * worst.SaturatedFraction, traits.LayerBefore(worst.Name) ?? worst.Name);
            }
            else
            {
                cause = $"the gradient passes through {traits.SaturatingActivations.Count} Sigmoid/Tanh activations ({Quote(traits.SaturatingActivations)}), each passing on at most 0.25x (Sigmoid) or 1x (Tanh)";
                if (context.Snapshot.ProbeSawNoForwardPass)
                    cause += $"; their saturation was not measured: the activation probe has seen no forward pass in the last {ActivationProbe.MaxAgeFor(context.Options.ProbeEvery)} checks, " +
                             "because the model runs them with forward(), which bypasses TorchSharp's forward hooks (call() runs them)";
            }
            if (context.Raised(GradientIssueKind.Saturation).FirstOrDefault() is { } saturation)
                cause += $" (reported as saturated activations at step {saturation.Step.ToString(CultureInfo.InvariantCulture)})";
            return new Explanation(cause,
                    "replace the hidden Sigmoid/Tanh activations with ReLU, LeakyReLU or GELU (quick fix of GG0001), or put BatchNorm/LayerNorm between the layers (GG0006)",
                    RuleIds.SaturatingActivationStack);
        }

        double scale = MedianInitScale(context, vanished);
        if (InitShrinksMost(context, vanished))
            return new Explanation(string.Format(CultureInfo.InvariantCulture,
                        "the weights of {0} are initialized at about {1:G2}/sqrt(fan_in), far below He's 1.41/sqrt(fan_in) for ReLU: every layer shrinks the signal, so the gradient fades toward the input",
                        Quote(vanished), scale),
                    "initialize with kaiming_normal_ (ReLU-family) or xavier_uniform_ with calculate_gain (Tanh/Sigmoid) (quick fix of GG0002), or add normalization (GG0006)",
                    RuleIds.Initialization);

        return new Explanation($"{vanished.Count} layers at the input side ({Quote(vanished)}) receive almost no gradient through a deep stack{(traits.HasNormalization ? "" : " with no normalization")}",
                "add BatchNorm/LayerNorm or residual connections (quick fix of GG0006), and initialize with kaiming_normal_ for ReLU layers (GG0002)",
                RuleIds.DeepWithoutNormalization);
    }

    public static Explanation ForVanishingEverywhere(LayerGradient largest) =>
        new Explanation(string.Format(CultureInfo.InvariantCulture,
            "every layer below the output has a gradient tiny next to its weights (largest gradient-to-weight ratio {0:G2}, in '{1}'): the initialization shrinks the signal layer after layer",
            largest.GradientToWeightRatio, largest.Name),
         "initialize weights to suit the activation: kaiming_normal_ for ReLU-family, xavier_uniform_ with calculate_gain for Tanh/Sigmoid (quick fix of GG0002), or add normalization (GG0006)",
         RuleIds.Initialization);

    public static Explanation ForExploding(CheckContext context, string growth)
    {
        if (context.Traits.PlainRnns.Count > 0)
            return new Explanation($"{growth}; plain RNN {Quote(context.Traits.PlainRnns)} multiplies the gradient by the same recurrent matrix at every time step",
                    "clip gradients between backward() and step() (clip_grad_norm_, GG0003) and replace nn.RNN with nn.GRU or nn.LSTM (GG0005)",
                    RuleIds.PlainRnn);
        return new Explanation(growth,
                "clip gradients between backward() and step() with clip_grad_norm_ (quick fix of GG0003) or set GradientMonitorOptions.ClipMaxNorm; lower the learning rate; check that the initialization's scale suits the network (GG0002)",
                RuleIds.StepWithoutGradientClipping);
    }

    public static Explanation ForNonFinite(IReadOnlyList<string> layers, double? loss)
    {
        string where = layers.Count > 0
            ? $"NaN/Infinity in the gradients of {Quote(layers)}"
            : "while every gradient is finite: the forward pass or the loss function produced it, not backpropagation";
        if (loss is double l && !double.IsFinite(l))
            where = $"the loss is {l.ToString(CultureInfo.InvariantCulture)}" + (layers.Count > 0 ? $" and {where}" : $" {where}");
        return new Explanation(where,
                "skip poisoned steps (GradientMonitorOptions.SkipNonFiniteSteps), clip gradients between backward() and step() (GG0003), lower the learning rate, and look for log(0) or division by zero in the loss",
                RuleIds.StepWithoutGradientClipping);
    }

    public static Explanation ForDeadUnits(IReadOnlyList<DeadUnitReading> layers, GradientMonitorOptions options)
    {
        var each = layers.Select(r => string.Format(CultureInfo.InvariantCulture, "{0} of {1} units of '{2}' ({3:0} %)", r.Dead, r.Units, r.Layer, 100 * r.Share));
        var first = layers[0];
        return new Explanation(string.Format(CultureInfo.InvariantCulture,
                "{0} had an all-zero gradient at each of the last {1} {2}: their ReLU outputs zero for every input, " +
                "so they pass no gradient and no longer learn; a step too large (a high learning rate) pushes their bias and weights where no input activates them again",
                string.Join("; ", each), first.Samples, options.DeadUnitsEvery * options.CheckEvery == 1 ? "steps" : $"sampled checks, {options.DeadUnitsEvery * options.CheckEvery} steps apart")
                + (layers.FirstOrDefault(r => r.Dead == r.Units) is { } wholly
                    ? $"; '{wholly.Layer}' outputs zero for every input, so the layer after it sees only zeros and the layers before it get no gradient at all"
                    : ""),
            "lower the learning rate; use LeakyReLU or GELU instead of ReLU, which keep a gradient below zero; initialize ReLU layers with kaiming_normal_ (quick fix of GG0002)",
            RuleIds.Initialization);
    }

    public static Explanation ForUpdateTooLarge(IReadOnlyList<UpdateReading> layers, int samples)
    {
        var each = layers.Select(r => string.Format(CultureInfo.InvariantCulture, "'{0}' {1:G2}", r.Layer, r.Ratio));
        var first = layers[0];
        return new Explanation(string.Format(CultureInfo.InvariantCulture,
                "{0} moved the weights by {1} times their norm (update-to-weight ratio; a healthy step is about 1e-3) at {2} samples in a row{3}: " +
                "the steps jump across the loss surface instead of descending it",
                first.ActualStep ? "the optimizer's step" : "the change between two checks", string.Join(", ", each), samples, LearningRateText(first)),
            "lower the learning rate (ten times or more) or add a warm-up; clip gradients between backward() and step() with clip_grad_norm_ (quick fix of GG0003) or set GradientMonitorOptions.ClipMaxNorm",
            RuleIds.StepWithoutGradientClipping);
    }

    public static Explanation ForUpdateTooSmall(UpdateReading largest, int samples, GradientMonitorOptions options)
    {
        string belowPrecision = largest.Moved ? "" : "; the step left every weight exactly as it was: the update is below the float precision of the weights";
        return new Explanation(string.Format(CultureInfo.InvariantCulture,
                "at {0} samples in a row no layer's weights moved by more than {1:G2} of their norm in a step (largest ratio {2:G2}, in '{3}'; a healthy step is about 1e-3){4}{5}: the run barely learns",
                samples, options.UpdateTooSmallRatio, largest.Ratio, largest.Layer, LearningRateText(largest), belowPrecision),
            "raise the learning rate by orders of magnitude; if it is already usual, the gradients vanish: initialize with kaiming_normal_ for ReLU-family layers (GG0002) and add normalization (GG0006)",
            "");
    }

    private static string LearningRateText(UpdateReading reading) =>
        reading.LearningRate is double rate ? string.Format(CultureInfo.InvariantCulture, " at learning rate {0:G3}", rate) : "";

    /// <summary>
    /// Whether at least half of the layers that <see cref="PoorInitializationDetector"/> can judge among
    /// <paramref name="layers"/> start below their suited spread by its factor: the detector's own judgement, so a
    /// vanishing never blames an initialization that the detector finds suited, nor the other way round.
    /// </summary>
    private static bool InitShrinksMost(CheckContext context, IReadOnlyList<string> layers)
    {
        var judgements = context.Watched
            .Where(w => layers.Contains(w.Name))
            .Select(w => context.Traits.DenseLayers.TryGetValue(w.Name, out var dense) ? PoorInitializationDetector.Judge(dense, context.InitScale(w), context.Options.PoorInitFactor) : null)
            .Where(j => j is not null)
            .ToList();
        return judgements.Count > 0 && 2 * judgements.Count(j => j == InitJudgement.TooSmall) >= judgements.Count;
    }

    private static double MedianInitScale(CheckContext context, IReadOnlyList<string> layers)
    {
        var scales = context.Watched
            .Where(w => layers.Contains(w.Name))
            .Select(context.InitScale)
            .Where(double.IsFinite)
            .OrderBy(s => s)
            .ToList();
        return scales.Count == 0 ? double.NaN : scales[scales.Count / 2];
    }

    public static string Quote(IEnumerable<string> names)
    {
        var list = names.ToList();
        var shown = list.Take(6).Select(n => $"'{n}'");
        return string.Join(", ", shown) + (list.Count > 6 ? $" and {list.Count - 6} more" : "");
    }
}
