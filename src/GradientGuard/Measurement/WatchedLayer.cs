using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Measurement;

/// <summary>A module that owns parameters, with those parameters (each shared parameter is watched once, under its first owner).</summary>
/// <param name="Name">The layer's name in <c>named_modules()</c>.</param>
/// <param name="Parameters">The parameters it owns.</param>
/// <param name="FanIn">Inputs per output unit of the layer's first matrix-shaped parameter (0 when it has none).</param>
/// <param name="ElementCount">Number of values in all its parameters.</param>
/// <param name="Shapes">
/// Each parameter's element count and dtype (those of its gradient too), read once: the view is rebuilt whenever they
/// could change (<c>to()</c> and the setters replace the parameter).
/// </param>
internal sealed record WatchedLayer(string Name, Parameter[] Parameters, long FanIn, long ElementCount, TensorShape[] Shapes)
{
    /// <summary>Where the layer's output units are, for the dead-unit count; <see cref="UnitParameters.None"/> when it has none.</summary>
    public UnitParameters Units { get; init; } = UnitParameters.None;

    /// <summary>The index among <see cref="Parameters"/> of the first matrix-shaped parameter (the one <see cref="FanIn"/> is read from), or -1.</summary>
    public int MatrixParameter { get; init; } = -1;

    /// <summary>The flat index (over all watched layers' parameters, in order) of this layer's first parameter.</summary>
    public int FirstParameter { get; init; }

    /// <summary>
    /// The matrix's RMS times the square root of fan-in, from its L2 norm <paramref name="matrixNorm"/>: about 0.58
    /// under TorchSharp's default init, 1.41 under He init for ReLU; far below that, every layer shrinks the signal. The
    /// bias is left out: a constant bias (a forget-gate 1, a class prior, a -100 that switches a unit off) says nothing
    /// about the weights' spread.
    /// </summary>
    public double InitScale(double matrixNorm) =>
        MatrixParameter < 0 || FanIn == 0 || Shapes[MatrixParameter].Count == 0
            ? double.NaN
            : matrixNorm / System.Math.Sqrt(Shapes[MatrixParameter].Count) * System.Math.Sqrt(FanIn);
}

/// <summary>A watched tensor's element count and dtype, cached so a check makes no native call to learn them.</summary>
internal readonly record struct TensorShape(long Count, ScalarType DType);

/// <summary>
/// A Linear or convolution layer's output units: row i of its weight (and entry i of its bias) feeds unit i, so a unit
/// whose activation is zero for the whole batch has an all-zero gradient row.
/// </summary>
/// <param name="Weight">The weight's index among the layer's parameters, or -1 when the layer has no units.</param>
/// <param name="Bias">The bias's index, or -1 when it has none.</param>
/// <param name="Count">How many units (the weight's first dimension).</param>
internal readonly record struct UnitParameters(int Weight, int Bias, long Count)
{
    public static UnitParameters None => new(-1, -1, 0);

    public bool Exist => Weight >= 0;
}
