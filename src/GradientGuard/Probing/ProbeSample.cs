using System;
using static TorchSharp.torch;

namespace GradientGuard.Probing;

/// <summary>
/// One activation module's device reading handed to a check: raw sums over <paramref name="Count"/> output values, read
/// on the host with the rest of the check and turned into the two numbers there.
/// </summary>
/// <param name="Site">The module.</param>
/// <param name="Values">ReLU family: the count of non-zero outputs. Sigmoid: the saturated count, Σy and Σy². Tanh: the saturated count and Σy².</param>
/// <param name="Count">How many output values were read (a strided sample of a large output).</param>
internal readonly record struct ProbeSample(ActivationProbe.Site Site, Tensor Values, long Count)
{
    /// <summary>How many numbers <see cref="Values"/> holds.</summary>
    public int Length => Site.Kind switch
    {
        ActivationKind.Sigmoid => 3,
        ActivationKind.Tanh => 2,
        _ => 1,
    };

    /// <summary>The saturated (or dead) share and the mean local derivative, from the host copy of <see cref="Values"/>.</summary>
    public (double Saturated, double Derivative) Interpret(ReadOnlySpan<double> values)
    {
        double n = Count;
        switch (Site.Kind)
        {
            case ActivationKind.Sigmoid:
                return (values[0] / n, (values[1] - values[2]) / n);
            case ActivationKind.Tanh:
                return (values[0] / n, 1 - values[1] / n);
            default:
                double live = values[0] / n;
                return (1 - live, live);
        }
    }
}
