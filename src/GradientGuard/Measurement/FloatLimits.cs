namespace GradientGuard.Measurement;

/// <summary>The floating-point limits the norms and actions reason with.</summary>
internal static class FloatLimits
{
    /// <summary>The smallest positive normal float32 value (2^-126).</summary>
    public const double SmallestNormalFloat32 = 1.1754943508222875e-38;

    /// <summary>The smallest positive normal float64 value (2^-1022).</summary>
    public const double SmallestNormalFloat64 = 2.2250738585072014e-308;
}
