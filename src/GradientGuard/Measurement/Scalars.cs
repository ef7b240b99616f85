using TorchSharp;

namespace GradientGuard.Measurement;

/// <summary>
/// Scalars the measurements pass to tensor operations, held for the life of the process. A scalar converted implicitly
/// at a call (<c>t.ne(0)</c>) is a temporary object with a finalizer that frees its native value; once the binding has
/// read its handle nothing keeps it alive, and a garbage collection during the native call can free it while libtorch
/// still reads it (seen once: <c>Scalar::toLong</c> failing inside <c>ne</c> in a dead-unit count). A static scalar is
/// always reachable; a computed one is held in a <c>using</c> local for as long as the call runs.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0;

    public static readonly Scalar One = 1;

    /// <summary>The smallest positive float32 and float64 (subnormal) values: a floor for divisors.</summary>
    public static readonly Scalar TinyFloat32 = 1e-45;

    public static readonly Scalar TinyFloat64 = double.Epsilon;
}
