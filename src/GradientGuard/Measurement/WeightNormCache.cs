using System;

namespace GradientGuard.Measurement;

/// <summary>
/// Each watched parameter's last measured weight norm. Weights move slowly, so with
/// <see cref="GradientMonitorOptions.WeightNormEvery"/> above 1 most checks reuse these instead of measuring again,
/// which halves the norm kernels of those checks. A parameter never measured yet is always measured.
/// </summary>
internal sealed class WeightNormCache
{
    private readonly double[] norms;
    private readonly int every;
    private long checks;

    public WeightNormCache(int parameterCount, int every)
    {
        norms = new double[parameterCount];
        Array.Fill(norms, double.NaN);
        this.every = every;
    }

    /// <summary>Whether this check measures every weight norm afresh.</summary>
    public bool Refreshing { get; private set; }

    /// <summary>Whether the next check will measure every weight norm afresh.</summary>
    public bool RefreshesNext => checks % every == 0;

    public void BeginCheck() => Refreshing = checks++ % every == 0;

    public bool MustMeasure(int parameter) => Refreshing || double.IsNaN(norms[parameter]);

    public double this[int parameter]
    {
        get => norms[parameter];
        set => norms[parameter] = value;
    }
}
