namespace GradientGuard;

/// <summary>One layer's gradient health at one check: all its parameters that have a gradient, taken together.</summary>
/// <param name="Name">The layer's name as in <c>named_modules()</c>; parameters registered on the model itself are under "(root)".</param>
/// <param name="GradientNorm">
/// L2 norm of all the layer's gradients, right over the whole range of their dtype: 0 only when every value is exactly
/// zero (as for a layer unused this step), however tiny the values; NaN or Infinity when they hold such values.
/// </param>
/// <param name="WeightNorm">L2 norm of the parameters those gradients belong to.</param>
/// <param name="NonFiniteCount">How many gradient values are NaN or Infinity.</param>
public sealed record LayerGradient(string Name, double GradientNorm, double WeightNorm, long NonFiniteCount)
{
    /// <summary>Name used for parameters registered directly on the monitored model.</summary>
    public const string RootName = "(root)";

    /// <summary>Gradient norm over weight norm: roughly the relative update size per unit learning rate.</summary>
    public double GradientToWeightRatio => WeightNorm > 0 ? GradientNorm / WeightNorm : double.PositiveInfinity;

    /// <summary>Whether every gradient value is a finite number.</summary>
    public bool IsFinite => NonFiniteCount == 0;
}
