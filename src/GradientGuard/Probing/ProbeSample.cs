using System;
using static TorchSharp.torch;

namespace GradientGuard.Probing;

/// <summary>
/// One activation module's device reading handed to a check: raw sums over <paramref name="Count"/> output values, read
/// on the host with the rest of the check and turned into the two numbers there.
/// </summary>
/// <param name="Site">The module.</param>
/// <param name="Values">Sigmoid: the saturated count, Σy and Σy². Tanh: the saturated count and Σy².</param>
/// <param name="Count">How many output values were read (a strided sample of a large output).</param>
internal readonly record struct ProbeSample(ActivationProbe.Site Site, Tensor Values, long Count)
{
    /// <summary>How many numbers <see cref="Values"/> holds.</summary>
    public int Length => Site.Kind == ActivationKind.Sigmoid ? 3 : 2;

    /// <summary>The saturated share and the mean local derivative, from the host copy of <see cref="Values"/>.</summary>
    public (double Saturated, double Derivative) Interpret(ReadOnlySpan<double> values)
    {
        double n = Count;
        return Site.Kind == ActivationKind.Sigmoid
            ? (values[0] / n, (values[1] - values[2]) / n)
            : (values[0] / n, 1 - values[1] / n); // Tanh
    }
}
