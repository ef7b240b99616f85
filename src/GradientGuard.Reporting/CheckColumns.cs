using System;
using System.Collections.Generic;

namespace GradientGuard.Reporting;

/// <summary>
/// The columns of a chart: a run's checks in order, grouped into runs of consecutive checks so that a chart has at
/// most <c>maxColumns</c> of them. A run with thousands of checks is drawn from its groups (its downsampled form),
/// which keeps the page small and quick to render; the chart says so.
/// </summary>
internal sealed class CheckColumns
{
    private readonly IReadOnlyList<CheckLine> checks;

    public CheckColumns(IReadOnlyList<CheckLine> checks, int maxColumns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxColumns, 1);
        this.checks = checks;
        ChecksPerColumn = Math.Max(1, (checks.Count + maxColumns - 1) / maxColumns);
        Count = (checks.Count + ChecksPerColumn - 1) / ChecksPerColumn;
    }

    /// <summary>How many columns there are.</summary>
    public int Count { get; }

    /// <summary>How many consecutive checks each column stands for (the last column may have fewer).</summary>
    public int ChecksPerColumn { get; }

    /// <summary>Whether a column stands for more than one check.</summary>
    public bool Downsampled => ChecksPerColumn > 1;

    /// <summary>The step of the run's first check (0 for a run without checks).</summary>
    public long FirstStep => checks.Count > 0 ? checks[0].Step : 0;

    /// <summary>The step of the run's last check (0 for a run without checks).</summary>
    public long LastStep => checks.Count > 0 ? checks[^1].Step : 0;

    /// <summary>The checks of column <paramref name="column"/>.</summary>
    public IEnumerable<CheckLine> Checks(int column)
    {
        int end = Math.Min(checks.Count, (column + 1) * ChecksPerColumn);
        for (int i = column * ChecksPerColumn; i < end; i++)
            yield return checks[i];
    }

    /// <summary>The middle of the steps that column <paramref name="column"/> covers.</summary>
    public double Center(int column)
    {
        int first = column * ChecksPerColumn, last = Math.Min(checks.Count, (column + 1) * ChecksPerColumn) - 1;
        return (checks[first].Step + checks[last].Step) / 2.0;
    }

    /// <summary>
    /// A layer over one column: the largest finite log10 norm (so a spike is never averaged away), whether any check
    /// held NaN/Infinity there (which wins: an alarm is never hidden by downsampling), or neither (no gradient, or
    /// exactly 0, which a log scale cannot place).
    /// </summary>
    public Cell Of(string layer, int column)
    {
        double largest = double.NegativeInfinity;
        bool nonFinite = false;
        foreach (var check in Checks(column))
        {
            if (!check.GradientNorms.TryGetValue(layer, out double norm))
                continue;
            if (!double.IsFinite(norm))
                nonFinite = true;
            else if (norm > 0)
                largest = Math.Max(largest, Math.Log10(norm));
        }
        return nonFinite ? Cell.NonFinite : double.IsNegativeInfinity(largest) ? Cell.Empty : new Cell(CellKind.Norm, largest);
    }
}

/// <summary>What a chart cell shows.</summary>
internal enum CellKind
{
    /// <summary>A finite positive norm: <see cref="Cell.Log10Norm"/>.</summary>
    Norm,

    /// <summary>NaN or Infinity in at least one check of the cell.</summary>
    NonFinite,

    /// <summary>No gradient in the cell's checks, or a norm of exactly 0.</summary>
    Empty,
}

/// <summary>One layer over one column of a chart.</summary>
internal readonly record struct Cell(CellKind Kind, double Log10Norm)
{
    public static readonly Cell NonFinite = new(CellKind.NonFinite, double.NaN);

    public static readonly Cell Empty = new(CellKind.Empty, double.NaN);
}
