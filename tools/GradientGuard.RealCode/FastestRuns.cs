using System.Collections.Generic;
using System.Linq;

namespace GradientGuard.RealCode;

/// <summary>
/// Each project's fastest run of a time, summed over the projects. A collection or a preemption that falls inside a
/// callback adds to one pass of one project, never takes away: the fastest of several runs is the time least stretched
/// by them, and the sum of those comes closest to the analyzers' own cost. Steadier between runs of one build than the
/// median of the runs' sums, which moves with every pause.
/// </summary>
internal sealed class FastestRuns
{
    private readonly List<double> fastest = new();

    /// <summary>A run's time for the project at <paramref name="project"/> (its index in the folder).</summary>
    public void Add(int project, double time)
    {
        while (fastest.Count <= project)
            fastest.Add(double.PositiveInfinity);
        if (time < fastest[project])
            fastest[project] = time;
    }

    /// <summary>The fastest runs summed; 0 before any run.</summary>
    public double Sum => fastest.Where(t => !double.IsPositiveInfinity(t)).Sum();
}
