using System;
using System.Linq;
using ScottPlot;

namespace GradientGuard.Reporting;

/// <summary>The two charts of a run, drawn by ScottPlot as SVG: gradient flow over steps, and a layer-by-step heat map.</summary>
internal static class GradientCharts
{
    /// <summary>Per-layer gradient norm over steps, on a log scale (log10 plotted, labelled as powers of ten).</summary>
    public static string GradientFlow(RunLog run, int width = 900, int height = 360)
    {
        var plot = new Plot();
        double[] steps = run.Checks.Select(c => (double)c.Step).ToArray();
        foreach (string layer in run.Layers)
        {
            double[] norms = run.Checks.Select(c => c.GradientNorms.TryGetValue(layer, out double n) ? Log10(n) : double.NaN).ToArray();
            var line = plot.Add.Scatter(steps, norms);
            line.LegendText = layer;
            line.MarkerSize = 0;
        }
        foreach (var diagnostic in run.Diagnostics)
            plot.Add.VerticalLine(diagnostic.Step, color: diagnostic.Kind == "Vanishing" ? Colors.SteelBlue : Colors.Crimson);
        // Only whole powers of ten get a label: a tick at 10^0.5 labelled "1e0" would lie.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Abs(y - Math.Round(y)) < 1e-9 ? FormattableString.Invariant($"1e{Math.Round(y):0}") : "",
        };
        plot.Axes.Left.Label.Text = "gradient L2 norm";
        plot.Axes.Bottom.Label.Text = "step";
        plot.Title($"{run.Name}: gradient flow per layer");
        plot.ShowLegend(Edge.Right);
        return Svg(plot, width, height);
    }

    /// <summary>Layers (rows, input side at the top) by steps (columns), coloured by log10 of the gradient norm.</summary>
    public static string HeatMap(RunLog run, int width = 900, int height = 300)
    {
        var values = new double[run.Layers.Count, run.Checks.Count];
        for (int l = 0; l < run.Layers.Count; l++)
        {
            for (int s = 0; s < run.Checks.Count; s++)
                values[l, s] = run.Checks[s].GradientNorms.TryGetValue(run.Layers[l], out double n) ? Log10(n) : double.NaN;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Smooth = false; // one cell per layer and check: no interpolation between them
        plot.Add.ColorBar(heatmap).Label = "log10 gradient norm";
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, run.Layers.Count).Select(i => (double)(run.Layers.Count - 1 - i)).ToArray(), run.Layers.ToArray());
        plot.Axes.Bottom.Label.Text = "check";
        plot.Title($"{run.Name}: layer x step");
        return Svg(plot, width, height);
    }

    // Non-finite and zero norms have no place on a log scale: left out (NaN is not drawn).
    private static double Log10(double value) => value > 0 && double.IsFinite(value) ? Math.Log10(value) : double.NaN;

    // Inline-able SVG: without its XML declaration.
    private static string Svg(Plot plot, int width, int height)
    {
        string svg = plot.GetSvgXml(width, height);
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start > 0 ? svg.Substring(start) : svg;
    }
}
