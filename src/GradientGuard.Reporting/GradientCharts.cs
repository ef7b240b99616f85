using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace GradientGuard.Reporting;

/// <summary>
/// The two charts of a run, drawn by ScottPlot as SVG: gradient flow over steps, and a layer-by-step heat map. Both span
/// exactly the run's checks (first to last step, no padding), and a long run is drawn downsampled, which each chart
/// says under its step axis: at most <see cref="MaxColumns"/> columns, each the largest norm of its checks, with
/// NaN/Infinity winning over any norm so an alarm is never averaged away.
/// </summary>
internal static class GradientCharts
{
    /// <summary>The most step columns a chart draws; more checks are grouped (see <see cref="CheckColumns"/>).</summary>
    public const int MaxColumns = 400;

    /// <summary>The most layers the gradient-flow chart draws as lines (evenly spaced from input to output beyond that).</summary>
    public const int MaxFlowLayers = 12;

    /// <summary>Non-finite cells and marks: a red that the heat map's Viridis scale never takes.</summary>
    public static readonly Color NonFiniteColor = Color.FromHex("#E8112D");

    /// <summary>Cells without a gradient (or exactly 0): light grey, apart from the Viridis scale too.</summary>
    public static readonly Color EmptyColor = Color.FromHex("#D0D0D0");

    // Room for layer names at the left, the legend or the colour bar at the right: the data areas of both charts coincide.
    private static readonly PixelPadding Padding = new(left: 200, right: 250, bottom: 60, top: 40);

    private static readonly Color WarningColor = Color.FromHex("#C62828");
    private static readonly Color InfoColor = Color.FromHex("#E0A000");

    /// <summary>
    /// Per-layer gradient norm over steps, on a log scale (log10 plotted, labelled as powers of ten). Every id in the SVG
    /// starts with <paramref name="ids"/>: several charts inline in one page must not share one (see <see cref="Svg"/>).
    /// </summary>
    public static string GradientFlow(RunLog run, string ids, int width = 1000, int height = 400) => Svg(GradientFlowPlot(run), ids, width, height);

    /// <summary>Layers (rows, input side at the top) by steps (columns), coloured by log10 of the gradient norm; ids as in <see cref="GradientFlow"/>.</summary>
    public static string HeatMap(RunLog run, string ids, int width = 1000) => Svg(HeatMapPlot(run), ids, width, HeatMapHeight(run.Layers.Count));

    /// <summary>The heat map's height: enough for the rows to be told apart, within a page's reach.</summary>
    public static int HeatMapHeight(int layers) => Math.Clamp(180 + 18 * layers, 330, 1000);

    /// <summary>The layers the gradient-flow chart draws: all of them up to <see cref="MaxFlowLayers"/>, else evenly spaced by depth, first and last included.</summary>
    public static IReadOnlyList<string> FlowLayers(IReadOnlyList<string> layers) =>
        layers.Count <= MaxFlowLayers
            ? layers
            : Enumerable.Range(0, MaxFlowLayers).Select(i => layers[(int)Math.Round(i * (layers.Count - 1) / (double)(MaxFlowLayers - 1))]).Distinct().ToList();

    internal static Plot GradientFlowPlot(RunLog run)
    {
        var plot = new Plot();
        var columns = new CheckColumns(run.Checks, MaxColumns);
        var shown = FlowLayers(run.Layers);
        double[] x = Enumerable.Range(0, columns.Count).Select(columns.Center).ToArray();
        double top = double.NegativeInfinity;
        foreach (string layer in shown)
        {
            double[] y = Enumerable.Range(0, columns.Count).Select(c => columns.Of(layer, c).Log10Norm).ToArray();
            var line = plot.Add.Scatter(x, y);
            line.LegendText = Short(layer);
            line.MarkerSize = columns.Count == 1 ? 6 : 0; // a single check is a point, not a line
            top = Math.Max(top, y.Where(double.IsFinite).DefaultIfEmpty(double.NegativeInfinity).Max());
        }
        bool anyFinite = !double.IsNegativeInfinity(top);
        if (!anyFinite)
            top = 0;

        // NaN/Infinity cannot be drawn on a log scale: marked along the top, in the heat map's red.
        var nonFinite = Enumerable.Range(0, columns.Count).Where(c => run.Layers.Any(l => columns.Of(l, c).Kind == CellKind.NonFinite)).ToArray();
        if (nonFinite.Length > 0)
        {
            var marks = plot.Add.ScatterPoints(nonFinite.Select(c => x[c]).ToArray(), nonFinite.Select(_ => top + 0.5).ToArray(), NonFiniteColor);
            marks.MarkerShape = MarkerShape.Eks;
            marks.MarkerSize = 8;
            marks.LegendText = "NaN/Infinity";
        }

        // One line per diagnosed column and severity, however many diagnostics fell there.
        var marked = new HashSet<(long Column, bool EarlySign)>();
        bool anyWarning = false, anyInfo = false;
        foreach (var diagnostic in run.Diagnostics.Where(d => d.IsAboutTraining))
        {
            if (!marked.Add((ColumnOf(run, columns, diagnostic.Step), diagnostic.IsEarlySign)))
                continue;
            var mark = plot.Add.VerticalLine(diagnostic.Step, width: 1, color: diagnostic.IsEarlySign ? InfoColor : WarningColor);
            mark.LinePattern = diagnostic.IsEarlySign ? LinePattern.Dotted : LinePattern.Dashed;
            anyWarning |= !diagnostic.IsEarlySign;
            anyInfo |= diagnostic.IsEarlySign;
        }
        if (anyWarning)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "diagnostic", LineColor = WarningColor, LineWidth = 1, LinePattern = LinePattern.Dashed });
        if (anyInfo)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "early sign", LineColor = InfoColor, LineWidth = 1, LinePattern = LinePattern.Dotted });

        // Only whole powers of ten get a label: a tick at 10^0.5 labelled "1e0" would lie.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Abs(y - Math.Round(y)) < 1e-9 ? FormattableString.Invariant($"1e{Math.Round(y):0}") : "",
        };
        plot.Axes.Left.Label.Text = "gradient L2 norm (log scale)";
        if (!anyFinite)
        {
            // Only the NaN/Infinity marks: a norm scale would make their height read as a value.
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
            plot.Axes.Left.Label.Text = "no finite gradient norm";
        }
        plot.Axes.Bottom.Label.Text = StepLabel(columns, "point");
        plot.Title(shown.Count == run.Layers.Count
            ? $"{run.Name}: gradient norm per layer"
            : $"{run.Name}: {shown.Count} of {run.Layers.Count} layers (evenly spaced, input to output)");
        plot.Axes.Title.Label.FontSize = 14;
        plot.ShowLegend(Edge.Right);
        plot.Axes.AutoScale();
        var (left, right) = StepSpan(columns);
        plot.Axes.SetLimitsX(left, right);
        plot.Layout.Fixed(Padding); // the same data area as the heat map: a step lines up between the two charts
        return plot;
    }

    internal static Plot HeatMapPlot(RunLog run)
    {
        var plot = new Plot();
        var columns = new CheckColumns(run.Checks, MaxColumns);
        int rows = run.Layers.Count;
        if (rows == 0 || columns.Count == 0)
        {
            plot.Title($"{run.Name}: no gradients measured in this log");
            return plot;
        }
        var cells = Cells(run, columns);
        var (left, right) = StepSpan(columns);
        var rectangle = new CoordinateRect(left, right, -0.5, rows - 0.5);
        // Three heat maps over one rectangle, each transparent (NaN) outside its own cells: the norms on the Viridis scale,
        // then NaN/Infinity in red and no gradient in grey, colours the scale never takes. One with no cell at all
        // is left out (ScottPlot cannot scale a heat map that is NaN throughout: a run NaN from its first check).
        if (CellsOf(cells, CellKind.Norm, c => c.Log10Norm) is { } norms)
        {
            var heatmap = Add(plot, norms, new ScottPlot.Colormaps.Viridis(), rectangle);
            plot.Add.ColorBar(heatmap).Label = "log10 gradient norm";
        }
        if (CellsOf(cells, CellKind.NonFinite, _ => 1) is { } nonFinite)
            Add(plot, nonFinite, new SolidColormap(NonFiniteColor), rectangle);
        if (CellsOf(cells, CellKind.Empty, _ => 1) is { } empty)
            Add(plot, empty, new SolidColormap(EmptyColor), rectangle);

        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "NaN/Infinity", FillColor = NonFiniteColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "no gradient, or exactly 0", FillColor = EmptyColor });
        plot.ShowLegend(Edge.Bottom);

        // Row i (input side first) is drawn at the top; with many layers only every k-th row is named.
        int every = Math.Max(1, (int)Math.Ceiling(rows * 16.0 / (HeatMapHeight(rows) - 180)));
        var ticks = Enumerable.Range(0, rows).Where(i => i % every == 0 || i == rows - 1).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(i => (double)(rows - 1 - i)).ToArray(), ticks.Select(i => Short(run.Layers[i])).ToArray());
        plot.Axes.Left.Label.Text = every == 1 ? "layer (input at top)" : $"layer (input at top; every {every}th named)";
        plot.Axes.Bottom.Label.Text = StepLabel(columns, "cell");
        plot.Title($"{run.Name}: gradient norm per layer and step");
        plot.Axes.Title.Label.FontSize = 14;
        plot.Axes.SetLimits(rectangle.Left, rectangle.Right, rectangle.Bottom, rectangle.Top);
        plot.Layout.Fixed(new PixelPadding(Padding.Left, Padding.Right, Padding.Bottom + 50, Padding.Top)); // and the legend below
        return plot;
    }

    // The values of the cells of one kind, NaN elsewhere; null when no cell is of that kind.
    private static double[,]? CellsOf(Cell[,] cells, CellKind kind, Func<Cell, double> value)
    {
        var values = new double[cells.GetLength(0), cells.GetLength(1)];
        bool any = false;
        for (int l = 0; l < cells.GetLength(0); l++)
        {
            for (int c = 0; c < cells.GetLength(1); c++)
            {
                bool mine = cells[l, c].Kind == kind;
                values[l, c] = mine ? value(cells[l, c]) : double.NaN;
                any |= mine;
            }
        }
        return any ? values : null;
    }

    private static ScottPlot.Plottables.Heatmap Add(Plot plot, double[,] values, IColormap colormap, CoordinateRect rectangle)
    {
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = colormap;
        heatmap.NaNCellColor = Colors.Transparent;
        heatmap.Smooth = false; // one cell per layer and column: no interpolation between them
        heatmap.Rectangle = rectangle;
        return heatmap;
    }

    /// <summary>Each layer (row, input side first) over each column of the heat map.</summary>
    internal static Cell[,] Cells(RunLog run, CheckColumns columns)
    {
        var cells = new Cell[run.Layers.Count, columns.Count];
        for (int l = 0; l < run.Layers.Count; l++)
        {
            for (int c = 0; c < columns.Count; c++)
                cells[l, c] = columns.Of(run.Layers[l], c);
        }
        return cells;
    }

    private static string StepLabel(CheckColumns columns, string unit) =>
        columns.Downsampled
            ? $"step (downsampled: each {unit} the largest of {columns.ChecksPerColumn} checks)"
            : "step";

    /// <summary>
    /// The step axis of both charts: exactly the run's checks, each column a cell centred on its steps (no margin, no
    /// steps before the first check or after the last). The gradient-flow chart's points sit at those centres.
    /// </summary>
    internal static (double Left, double Right) StepSpan(CheckColumns columns)
    {
        if (columns.Count == 0)
            return (-0.5, 0.5);
        double first = columns.Center(0), last = columns.Center(columns.Count - 1);
        double cellWidth = columns.Count > 1 ? (last - first) / (columns.Count - 1) : 1;
        return (first - cellWidth / 2, last + cellWidth / 2);
    }

    private static long ColumnOf(RunLog run, CheckColumns columns, long step)
    {
        int index = BinarySearch(run.Checks, step);
        return index / columns.ChecksPerColumn;
    }

    // The index of the last check at or before the step (0 before the first).
    private static int BinarySearch(IReadOnlyList<CheckLine> checks, long step)
    {
        int low = 0, high = checks.Count - 1, found = 0;
        while (low <= high)
        {
            int mid = (low + high) / 2;
            if (checks[mid].Step <= step)
                (found, low) = (mid, mid + 1);
            else
                high = mid - 1;
        }
        return found;
    }

    // Long module paths keep their end, the most specific part: "…layers.11.attention.out".
    private static string Short(string layer) => layer.Length <= 26 ? layer : "…" + layer[^25..];

    // Inline-able SVG: without its XML declaration, and with ids of its own. ScottPlot numbers each SVG's images from
    // img_0, and inline in one page every <use href="#img_0"> would draw the first chart's heat map.
    private static string Svg(Plot plot, string ids, int width, int height)
    {
        string svg = plot.GetSvgXml(width, height);
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        svg = start > 0 ? svg.Substring(start) : svg;
        return svg.Replace("id=\"", $"id=\"{ids}", StringComparison.Ordinal)
            .Replace("href=\"#", $"href=\"#{ids}", StringComparison.Ordinal)
            .Replace("url(#", $"url(#{ids}", StringComparison.Ordinal);
    }

    /// <summary>One colour for every cell: the red of NaN/Infinity, or the grey of no gradient.</summary>
    private sealed class SolidColormap(Color color) : IColormap
    {
        public string Name => "solid";

        // Every cell given to it is of its kind (the others are NaN, drawn transparent by the heat map itself): one value
        // throughout, whose normalized intensity is 0/0, so the input is not looked at.
        public Color GetColor(double normalizedIntensity) => color;
    }
}
