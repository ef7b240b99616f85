using System.Collections.Generic;
using GradientGuard.Measurement;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientGuard.Actions;

/// <summary>In-place changes to the watched gradients; no synchronization (the norms they rely on are already on the host).</summary>
internal static class GradientActions
{
    /// <summary>Multiplies every gradient by <paramref name="factor"/>: clipping with the norms the check already has.</summary>
    public static void Scale(IReadOnlyList<WatchedLayer> layers, double factor)
    {
        // A float32 gradient is multiplied in float32: a factor below its normal range (a norm above about 1e38, which
        // finite float32 values can reach) would lose its precision or round to zero, so it is applied in two halves.
        if (factor < FloatLimits.SmallestNormalFloat32)
        {
            using Scalar half = System.Math.Sqrt(factor); // held for the calls (Scalars)
            ForEachGradient(layers, g => g.mul_(half).mul_(half));
        }
        else
        {
            using Scalar scalar = factor;
            ForEachGradient(layers, g => g.mul_(scalar));
        }
    }

    /// <summary>Zeroes every gradient, so a poisoned step cannot reach the weights or the optimizer's state.</summary>
    public static void Zero(IReadOnlyList<WatchedLayer> layers) => ForEachGradient(layers, g => g.zero_());

    private static void ForEachGradient(IReadOnlyList<WatchedLayer> layers, System.Func<Tensor, Tensor> change)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var layer in layers)
        {
            foreach (var parameter in layer.Parameters)
            {
                var gradient = parameter.grad;
                if (gradient is not null)
                    change(gradient);
            }
        }
    }
}
