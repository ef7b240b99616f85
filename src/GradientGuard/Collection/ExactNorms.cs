using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace GradientGuard.Collection;

/// <summary>
/// L2 norms that are right over the whole range of a tensor's dtype, at the cost of a plain norm in the common case.
/// A norm is first taken directly, accumulated in float32 (half, bfloat16 and float32 tensors) or float64 (float64
/// tensors); that is exact unless the squares overflow (float32 values from about 1e19) or underflow (below about
/// 1e-19). A direct norm that shows either — Infinity, NaN, zero, or below <see cref="IsExact"/>'s bound — is taken
/// again as max-abs times the norm of the tensor divided by its max-abs, which neither overflows nor underflows,
/// together with the count of non-finite values. All those rescues of a check share one more host synchronization.
/// A tensor that the last measurement proved exactly zero (<see cref="ProvenZeros"/>) has its max-abs read with its
/// direct norm, one more reduction on the device and no more synchronization: a max-abs of 0 makes a norm of 0 exact,
/// so a gradient that stays exactly zero costs no second synchronization; one that turns non-zero is judged by its
/// direct norm at that very check like any other (rescued when tiny, extreme or non-finite). The second
/// synchronization is thus paid only in checks where a tensor is extreme, not finite, tiny, or zero for the first
/// time since it was last measured non-zero.
/// </summary>
internal static class ExactNorms
{
    /// <summary>
    /// The direct norms as one float64 vector on <paramref name="device"/>, followed by the max-abs of each tensor
    /// flagged in <paramref name="provenZero"/>, in order (0 exactly when every value is ±0); read it with the rest of
    /// the check. Its length is <see cref="DirectLength"/>.
    /// </summary>
    public static Tensor Direct(IReadOnlyList<Tensor> tensors, IReadOnlyList<bool> provenZero, Device device)
    {
        var norms = tensors.Select(t => linalg.vector_norm(InAccumulationType(t)))
            .Concat(tensors.Where((_, i) => provenZero[i]).Select(t => InAccumulationType(MaxAbs(t))))
            .Select(n => OnDevice(n, device))
            .ToList();
        // One conversion for the whole vector, unless float32 and float64 norms must be stacked together.
        bool mixed = norms.Select(n => n.dtype).Distinct().Skip(1).Any();
        return stack(mixed ? norms.Select(n => n.to_type(ScalarType.Float64)) : norms).to_type(ScalarType.Float64);
    }

    /// <summary>The number of entries of <see cref="Direct"/>'s vector.</summary>
    public static int DirectLength(IReadOnlyList<bool> provenZero) => provenZero.Count + provenZero.Count(z => z);

    /// <summary>
    /// Whether a direct norm can be trusted. A finite sum of non-negative squares never overflowed; squares that
    /// underflowed lose at most the smallest normal number each, which is below the accumulation type's rounding
    /// error once the norm is at least sqrt(count * smallest normal / epsilon).
    /// </summary>
    public static bool IsExact(double direct, Tensor t)
    {
        long count = t.numel();
        if (count == 0)
            return true;
        if (!double.IsFinite(direct) || direct == 0)
            return false;
        bool wide = t.dtype == ScalarType.Float64;
        double smallestNormal = wide ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
        double epsilon = wide ? Math.Pow(2, -53) : Math.Pow(2, -24);
        return direct >= Math.Sqrt(count * smallestNormal / epsilon);
    }

    /// <summary>
    /// Replaces every norm in <paramref name="norms"/> that <see cref="IsExact"/> rejects by the scaled measurement, and
    /// fills <paramref name="nonFinite"/> with the count of NaN/Infinity values of each tensor that has any (a direct norm
    /// is NaN or Infinity whenever a value is). <paramref name="directVector"/> is <see cref="Direct"/>'s vector read on
    /// the host: a tensor flagged in <paramref name="provenZero"/> whose max-abs there is 0 has the exact norm 0 and is
    /// not measured again. On return, <paramref name="provenZero"/> says which tensors this check proved exactly zero.
    /// One host synchronization for all of them; none when every norm is exact.
    /// </summary>
    public static void Rescue(IReadOnlyList<Tensor> tensors, ReadOnlySpan<double> directVector, bool[] provenZero, double[] norms, long[] nonFinite, Device device, HostReader reader)
    {
        var pending = new List<int>();
        int nextMaxAbs = tensors.Count;
        for (int i = 0; i < tensors.Count; i++)
        {
            norms[i] = directVector[i];
            bool stillZero = false;
            if (provenZero[i])
                stillZero = directVector[nextMaxAbs++] == 0; // every value ±0: the norm 0 is exact
            provenZero[i] = stillZero;                       // otherwise a norm of 0 is proven (or not) by the rescue below
            if (!stillZero && !IsExact(norms[i], tensors[i]))
                pending.Add(i);
        }
        if (pending.Count == 0)
            return;

        var pieces = new List<Tensor>(3 * pending.Count);
        foreach (int i in pending)
        {
            var x = InAccumulationType(tensors[i]);
            if (!double.IsNaN(norms[i]))
            {
                // max-abs, then the norm of values scaled into [-1, 1]: no square can overflow, and those that
                // underflow are negligible next to the largest one, whose scaled square is 1.
                var maxAbs = MaxAbs(x);
                pieces.Add(Scalar(maxAbs, device));
                pieces.Add(Scalar(linalg.vector_norm(x.div(maxAbs)), device));
            }
            if (!double.IsFinite(norms[i]))
                pieces.Add(Scalar(x.isfinite().logical_not().sum(), device));
        }
        var host = reader.Read(stack(pieces));

        int next = 0;
        foreach (int i in pending)
        {
            bool wasFinite = double.IsFinite(norms[i]);
            double? scaled = null;
            if (!double.IsNaN(norms[i]))
            {
                double maxAbs = host[next++], unit = host[next++];
                scaled = maxAbs == 0 ? 0 : maxAbs * unit;
                provenZero[i] = maxAbs == 0;
            }
            long count = wasFinite ? 0 : (long)host[next++];
            nonFinite[i] = count;
            // A NaN or Infinity value keeps the direct norm (NaN, or Infinity); an overflow of finite values does not.
            if (count == 0 && scaled is double exact)
                norms[i] = exact;
        }
    }

    // The largest absolute value, in the tensor's dtype (exact in any); NaN when a value is NaN.
    private static Tensor MaxAbs(Tensor x)
    {
        var (min, max) = aminmax(x);
        return maximum(min.abs(), max.abs());
    }

    // Half types are widened so that their squares fit; float64 stays float64.
    private static Tensor InAccumulationType(Tensor t) =>
        t.dtype is ScalarType.Float32 or ScalarType.Float64 ? t : t.to_type(ScalarType.Float32);

    private static Tensor Scalar(Tensor t, Device device) => OnDevice(t.to_type(ScalarType.Float64), device);

    /// <summary>Moves <paramref name="t"/> to <paramref name="device"/> unless it is there already.</summary>
    public static Tensor OnDevice(Tensor t, Device device) =>
        // Device has no value equality (== compares references): compare its parts, or every tensor would be copied.
        t.device_type == device.type && t.device_index == device.index ? t : t.to(device);
}
