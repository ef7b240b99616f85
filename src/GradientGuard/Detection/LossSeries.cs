using System.Collections.Generic;
using System.Linq;

namespace GradientGuard.Detection;

/// <summary>
/// The loss as the loss detectors see it: its start (the median of its first
/// <see cref="GradientMonitorOptions.LossStartChecks"/> values) and a window of its latest values. Medians, because a
/// minibatch loss is noisy and now and then spikes on a hard batch. Only positive, finite losses are taken: "far from
/// zero" and relative swings mean nothing for a loss that can be zero or negative, and a non-finite one is the
/// non-finite detector's.
/// </summary>
internal sealed class LossSeries
{
    private readonly List<double> first = new();
    private readonly Queue<double> window = new();

    /// <summary>The median of the first losses; NaN until they have been seen.</summary>
    public double Start { get; private set; } = double.NaN;

    /// <summary>Whether the start is known.</summary>
    public bool Started => !double.IsNaN(Start);

    /// <summary>The latest losses, oldest first, at most the window given to <see cref="Observe"/>.</summary>
    public IReadOnlyCollection<double> Window => window;

    /// <summary>Takes this check's loss; false when there is none to take (none passed, not finite, not positive).</summary>
    public bool Observe(double? loss, int startChecks, int windowChecks)
    {
        if (loss is not double value || !double.IsFinite(value) || value <= 0)
            return false;
        if (!Started)
        {
            first.Add(value);
            if (first.Count == startChecks)
            {
                Start = Median(first);
                first.Clear();
            }
        }
        window.Enqueue(value);
        while (window.Count > windowChecks)
            window.Dequeue();
        return true;
    }

    /// <summary>The medians of the older and the newer half of the window.</summary>
    public (double Older, double Newer) HalfMedians()
    {
        int half = window.Count / 2;
        return (Median(window.Take(half)), Median(window.Skip(half)));
    }

    public static double Median(IEnumerable<double> values) => Quantile(values.ToArray(), 0.5);

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/>, interpolated between neighbours; sorts the array.</summary>
    public static double Quantile(double[] values, double q)
    {
        System.Array.Sort(values);
        double position = q * (values.Length - 1);
        int below = (int)position;
        int above = System.Math.Min(below + 1, values.Length - 1);
        return values[below] + (position - below) * (values[above] - values[below]);
    }
}
