using System;

namespace GradientGuard.Measurement;

/// <summary>
/// The L2 norm of several tensors together from their own norms, sqrt(sum of squares), kept relative to the largest
/// norm so far so that it neither overflows nor underflows in double (float64 norms can exceed 1e154 or fall below
/// 1e-154, whose squares a plain sum would lose). NaN wins over Infinity, Infinity over any finite norm.
/// </summary>
internal struct NormSum
{
    private double largest;
    private double relativeSquares; // sum of (norm / largest)^2
    private double nonFinite;        // NaN or Infinity once one was added, else 0

    public void Add(double norm)
    {
        if (!double.IsFinite(norm))
        {
            nonFinite = double.IsNaN(norm) || double.IsNaN(nonFinite) ? double.NaN : double.PositiveInfinity;
            return;
        }
        norm = Math.Abs(norm);
        if (norm == 0)
            return;
        if (norm > largest)
        {
            relativeSquares = 1 + relativeSquares * (largest / norm) * (largest / norm);
            largest = norm;
        }
        else
        {
            relativeSquares += (norm / largest) * (norm / largest);
        }
    }

    public readonly double Value => nonFinite != 0 ? nonFinite : largest * Math.Sqrt(relativeSquares);
}
