using System;

namespace GradientGuard.Detection;

/// <summary>
/// A gradient norm's usual level: an exponential moving average in log space (norms spread over orders of
/// magnitude). A blow-up may raise the level by at most one growth factor per update, so a sustained explosion
/// stays visible for a while instead of becoming the new normal at once.
/// </summary>
internal sealed class NormBaseline
{
    private const double Smoothing = 0.1;
    private double logLevel;

    public int Samples { get; private set; }

    public double Level => Samples == 0 ? double.NaN : Math.Exp(logLevel);

    public void Observe(double norm, double maxGrowthFactor)
    {
        if (!double.IsFinite(norm) || norm <= 0)
            return;
        double x = Math.Log(norm);
        logLevel = Samples == 0 ? x : logLevel + Smoothing * (Math.Min(x, logLevel + Math.Log(maxGrowthFactor)) - logLevel);
        Samples++;
    }
}
