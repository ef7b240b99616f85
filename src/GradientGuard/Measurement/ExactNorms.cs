using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>
/// L2 norms that are right over the whole range of a tensor's dtype, at the cost of a plain norm in the common case.
/// A norm is first taken directly (as the square root of <see cref="SumOfSquares"/>), accumulated in float32 (half, bfloat16 and float32 tensors) or float64 (float64
/// tensors); that is exact unless the squares overflow (float32 values from about 1e19) or underflow (below about
/// 1e-19). A direct norm that shows either — Infinity, NaN, zero, or below <see cref="IsExact"/>'s bound — is taken
/// again as max-abs times the norm of the tensor divided by its max-abs, which neither overflows nor underflows,
/// together with the count of non-finite values. All those rescues of a check share one more host synchronization.
/// A tensor recently proven exactly zero (<see cref="ProvenZeros"/>) has its max-abs read with its direct norm, one
/// more reduction on the device and no more synchronization: a max-abs of 0 makes a norm of 0 exact, so a gradient
/// that is exactly zero again costs no second synchronization; one that is non-zero is judged by its direct norm at
/// that very check like any other (rescued when tiny, extreme or non-finite). The second synchronization is thus paid
/// only in checks where a tensor is extreme, not finite, tiny, or zero while not remembered (for the first time, or
/// after <see cref="ProvenZeros.ForgetAfter"/> consecutive non-zero checks).
/// </summary>
internal static class ExactNorms
{
    /// <summary>
    /// The direct norms as one float64 vector on <paramref name="device"/>, followed by the max-abs of each tensor
    /// flagged in <paramref name="readMaxAbs"/>, in order (0 exactly when every value is ±0); read it with the rest of
    /// the check. Its length is <see cref="DirectLength"/>.
    /// </summary>
    public static Tensor Direct(IReadOnlyList<Tensor> tensors, IReadOnlyList<TensorShape> shapes, IReadOnlyList<bool> readMaxAbs, Device device)
    {
        var squares = new Tensor[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
            squares[i] = DevicePlacement.OnDevice(SumOfSquares(InAccumulationType(tensors[i], shapes[i])), device);
        // stack promotes float32 and float64 sums to float64; one conversion and one square root for the whole vector.
        var norms = stack(squares).to_type(ScalarType.Float64).sqrt_();
        var maxAbs = new List<Tensor>();
        for (int i = 0; i < tensors.Count; i++)
        {
            if (readMaxAbs[i])
                maxAbs.Add(DevicePlacement.OnDevice(MaxAbs(InAccumulationType(tensors[i], shapes[i])), device));
        }
        return maxAbs.Count == 0 ? norms : cat(new[] { norms, stack(maxAbs).to_type(ScalarType.Float64) });
    }

    /// <summary>
    /// The sum of the squares of a tensor's values, accumulated in its dtype (float32 or float64): the square of the
    /// direct norm, with the same overflow (Infinity) and underflow as <c>vector_norm</c> and the same NaN/Infinity
    /// propagation (TorchSharpBackendTests), the square root taken later in float64. It is the dot product of the
    /// flattened tensor with itself, which libtorch hands to the CPU's BLAS: on this project's 2-core benchmark machine
    /// that is about 1.8 times as fast as <c>vector_norm</c> over the MLP's 10 MB of gradients (the norm kernel ran at
    /// 22-25 GB/s, the dot product at 40-44 GB/s, a plain sum at 54-56 GB/s; KernelMicrobench) and closer to the float64
    /// result (relative error 7e-7 against 6e-6).
    /// </summary>
    internal static Tensor SumOfSquares(Tensor x)
    {
        // matmul of two vectors is libtorch's dot, the same kernel as vdot for real dtypes; TorchSharp's vdot first reads
        // both shapes five times on the managed side, which cost as much as a small tensor's kernel.
        var flat = x.reshape(-1);
        return flat.matmul(flat);
    }

    /// <summary>The number of entries of <see cref="Direct"/>'s vector.</summary>
    public static int DirectLength(IReadOnlyList<bool> readMaxAbs)
    {
        int length = readMaxAbs.Count;
        foreach (bool read in readMaxAbs)
        {
            if (read)
                length++;
        }
        return length;
    }

    /// <summary>
    /// Whether a direct norm can be trusted. A finite sum of non-negative squares never overflowed; squares that
    /// underflowed lose at most the smallest normal number each, which is below the accumulation type's rounding
    /// error once the norm is at least sqrt(count * smallest normal / epsilon).
    /// </summary>
    public static bool IsExact(double direct, TensorShape shape)
    {
        long count = shape.Count;
        if (count == 0)
            return true;
        if (!double.IsFinite(direct) || direct == 0)
            return false;
        bool wide = shape.DType == ScalarType.Float64;
        double smallestNormal = wide ? FloatLimits.SmallestNormalFloat64 : FloatLimits.SmallestNormalFloat32;
        double epsilon = wide ? Math.Pow(2, -53) : Math.Pow(2, -24);
        return direct >= Math.Sqrt(count * smallestNormal / epsilon);
    }

    /// <summary>What <see cref="Rescue"/> found.</summary>
    /// <param name="Norms">Each tensor's norm, exact over its dtype's range.</param>
    /// <param name="NonFinite">Each tensor's count of NaN/Infinity values (0 when its direct norm was finite).</param>
    /// <param name="ExactlyZero">Whether this check proved the tensor exactly zero (every value ±0).</param>
    public readonly record struct Result(double[] Norms, long[] NonFinite, bool[] ExactlyZero);

    /// <summary>
    /// Takes each direct norm of <paramref name="directVector"/> (<see cref="Direct"/>'s vector read on the host) and
    /// replaces every one that <see cref="IsExact"/> rejects by the scaled measurement, with the count of NaN/Infinity
    /// values of each tensor that has any (a direct norm is NaN or Infinity whenever a value is). A tensor flagged in
    /// <paramref name="readMaxAbs"/> whose max-abs there is 0 has the exact norm 0 and is not measured again. One host
    /// synchronization for all of them; none when every norm is exact.
    /// </summary>
    public static Result Rescue(IReadOnlyList<Tensor> tensors, IReadOnlyList<TensorShape> shapes, ReadOnlySpan<double> directVector, IReadOnlyList<bool> readMaxAbs, Device device, HostReader reader)
    {
        var norms = new double[tensors.Count];
        var nonFinite = new long[tensors.Count];
        var exactlyZero = new bool[tensors.Count];
        var pending = new List<int>();
        int nextMaxAbs = tensors.Count;
        for (int i = 0; i < tensors.Count; i++)
        {
            norms[i] = directVector[i];
            if (readMaxAbs[i])
                exactlyZero[i] = directVector[nextMaxAbs++] == 0; // every value ±0: the norm 0 is exact
            if (!exactlyZero[i] && !IsExact(norms[i], shapes[i]))
                pending.Add(i);
        }
        if (pending.Count == 0)
            return new Result(norms, nonFinite, exactlyZero);

        var pieces = new List<Tensor>(3 * pending.Count);
        foreach (int i in pending)
        {
            var x = InAccumulationType(tensors[i], shapes[i]);
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
                exactlyZero[i] = maxAbs == 0;
            }
            long count = wasFinite ? 0 : (long)host[next++];
            nonFinite[i] = count;
            // A NaN or Infinity value keeps the direct norm (NaN, or Infinity); an overflow of finite values does not.
            if (count == 0 && scaled is double exact)
                norms[i] = exact;
        }
        return new Result(norms, nonFinite, exactlyZero);
    }

    /// <summary>
    /// The largest absolute value, in the tensor's dtype (exact in any): the larger of |min| and |max|, from one
    /// min-and-max reduction; NaN when a value is NaN, 0 for an empty tensor (TorchSharpBackendTests). The infinity norm
    /// gives the same number, but on the CPU it is about 25 times slower than aminmax (2.2 ms against 0.08 ms for a
    /// 512x784 float32 gradient), which made every max-abs cost more than the norm it rescues.
    /// </summary>
    internal static Tensor MaxAbs(Tensor x)
    {
        if (x.numel() == 0)
            return zeros(Array.Empty<long>(), x.dtype, x.device);
        var (min, max) = x.aminmax();
        return maximum(min.abs(), max.abs());
    }

    // Half types are widened so that their squares fit; float64 stays float64.
    private static Tensor InAccumulationType(Tensor t, TensorShape shape) =>
        shape.DType is ScalarType.Float32 or ScalarType.Float64 ? t : t.to_type(ScalarType.Float32);

    private static Tensor Scalar(Tensor t, Device device) => DevicePlacement.OnDevice(t.to_type(ScalarType.Float64), device);
}
