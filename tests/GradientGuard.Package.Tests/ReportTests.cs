using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using GradientGuard.Reporting;

namespace GradientGuard.Package.Tests;

/// <summary>
/// The HTML report and its charts over generated logs: the shapes a real run can take (NaN, layers without a gradient,
/// thousands of checks, hundreds of layers, the newer diagnostic kinds with their severity, logs older than severities).
/// Its look was checked by hand in headless Chromium; these tests hold what it promises.
/// </summary>
public sealed class ReportTests
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";

    [Fact]
    public void Heat_map_cells_tell_non_finite_apart_from_missing_and_zero_gradients()
    {
        var run = Run("nan", new[]
        {
            Check(1, ("a", 1.0), ("b", 0.5), ("c", 0.1)),
            Check(2, ("a", 1.0), ("b", 0.5)),                              // c: no gradient
            Check(3, ("a", 1.0), ("b", 0.5), ("c", 0.0)),                  // c: exactly 0
            Check(4, ("a", 1.0), ("b", double.NaN), ("c", 0.1)),
            Check(5, ("a", double.PositiveInfinity), ("b", double.NaN), ("c", 0.1)),
        });

        var cells = GradientCharts.Cells(run, new CheckColumns(run.Checks, GradientCharts.MaxColumns));

        Assert.Equal(new[] { CellKind.Norm, CellKind.Norm, CellKind.Norm, CellKind.Norm, CellKind.NonFinite }, Row(cells, 0).Select(c => c.Kind));
        Assert.Equal(new[] { CellKind.Norm, CellKind.Norm, CellKind.Norm, CellKind.NonFinite, CellKind.NonFinite }, Row(cells, 1).Select(c => c.Kind));
        Assert.Equal(new[] { CellKind.Norm, CellKind.Empty, CellKind.Empty, CellKind.Norm, CellKind.Norm }, Row(cells, 2).Select(c => c.Kind));
        Assert.Equal(-1, cells[2, 0].Log10Norm, 12);
        string svg = GradientCharts.HeatMap(run, "t-");
        Assert.Contains("NaN/Infinity", svg, StringComparison.Ordinal);
        Assert.Contains("no gradient, or exactly 0", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_chart_of_a_page_draws_its_own_heat_map()
    {
        // Two heat maps inline in one page: ScottPlot names each SVG's images from img_0, so unless the ids are made
        // the page's own, every chart shows the first run's image.
        var first = Run("first", [Check(1, ("fc1", 1.0))]);
        var second = Run("second", [Check(1, ("a", double.NaN), ("b", 2.0))]);

        var page = Parse(HtmlReport.Render([first, second]));

        var ids = page.Descendants().Select(e => (string?)e.Attribute("id")).Where(id => id is not null).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        XNamespace xlink = "http://www.w3.org/1999/xlink";
        foreach (var svg in page.Descendants().Where(e => e.Name.LocalName == "svg"))
        {
            var own = svg.Descendants().Select(e => (string?)e.Attribute("id")).Where(id => id is not null).ToHashSet();
            var uses = svg.Descendants().Where(e => e.Name.LocalName == "use").Select(e => ((string?)e.Attribute(xlink + "href") ?? (string?)e.Attribute("href"))!.TrimStart('#')).ToList();
            Assert.All(uses, target => Assert.Contains(target, own));
        }
        Assert.Contains(page.Descendants(), e => e.Name.LocalName == "use");
    }

    [Fact]
    public void Downsampling_never_hides_a_non_finite_check_nor_a_spike()
    {
        var checks = Enumerable.Range(1, 4000).Select(s => Check(s, ("a", s == 2345 ? double.NaN : 1e-3), ("b", s == 3001 ? 1e6 : 1e-2))).ToList();
        var run = Run("spike", checks);
        var columns = new CheckColumns(run.Checks, GradientCharts.MaxColumns);

        var cells = GradientCharts.Cells(run, columns);

        Assert.Equal(10, columns.ChecksPerColumn);
        Assert.Equal(400, columns.Count);
        Assert.Equal(new[] { 234 }, Enumerable.Range(0, columns.Count).Where(c => cells[0, c].Kind == CellKind.NonFinite));
        Assert.Equal(new[] { 300 }, Enumerable.Range(0, columns.Count).Where(c => cells[1, c].Log10Norm > 0));
        Assert.Equal(6, cells[1, 300].Log10Norm, 9);
    }

    [Fact]
    public void Both_charts_span_exactly_the_steps_of_the_checks()
    {
        // CheckEvery = 5: checks at steps 5, 10, ..., 50.
        var run = Run("every-5", Enumerable.Range(1, 10).Select(i => Check(5 * i, ("fc1", 0.1 * i), ("fc2", 0.2))).ToList());

        var flow = GradientCharts.GradientFlowPlot(run);
        var heat = GradientCharts.HeatMapPlot(run);

        // One column per check, centred on its step: both axes hold the ten columns and nothing else, so they line up.
        Assert.Equal((2.5, 52.5), (flow.Axes.Bottom.Range.Min, flow.Axes.Bottom.Range.Max));
        Assert.Equal((2.5, 52.5), (heat.Axes.Bottom.Range.Min, heat.Axes.Bottom.Range.Max));
        Assert.Equal((-0.5, 1.5), (heat.Axes.Left.Range.Min, heat.Axes.Left.Range.Max));
    }

    [Fact]
    public void A_log_without_checks_and_a_single_check_render_and_say_what_they_hold()
    {
        var empty = new RunLog("empty", [new DiagnosticLine(1, "NoGradients", "", [], "no backward() yet", "call backward() before Check()")]);
        var single = Run("single", [Check(7, ("fc1", double.NaN))]);

        var page = Parse(HtmlReport.Render([empty, single]));

        Assert.Contains("empty: no gradients measured in this log", page.Root!.Value, StringComparison.Ordinal);
        Assert.Equal("healthy", empty.Verdict); // a notice about the monitor's own work is no verdict
        Assert.Equal((6.5, 7.5), GradientCharts.StepSpan(new CheckColumns(single.Checks, GradientCharts.MaxColumns)));
        Assert.Equal(CellKind.NonFinite, GradientCharts.Cells(single, new CheckColumns(single.Checks, GradientCharts.MaxColumns))[0, 0].Kind);
    }

    [Fact]
    public void Thousands_of_checks_and_hundreds_of_layers_render_downsampled_to_a_small_page_that_says_so()
    {
        const int Steps = 3000, LayerCount = 300;
        var layers = Enumerable.Range(0, LayerCount).Select(i => $"encoder.blocks.{i}.mlp.fc").ToArray();
        var random = new Random(5);
        var entries = new List<LogEntry>();
        for (int step = 1; step <= Steps; step++)
        {
            var norms = new Dictionary<string, double>(LayerCount);
            for (int l = 0; l < LayerCount; l++)
                norms[layers[l]] = step > 2900 && l > 250 ? double.NaN : Math.Pow(10, -3 + l / 100.0 + random.NextDouble() * 0.3);
            entries.Add(new CheckLine(step, 1.0, 0.5, norms));
            if (step % 3 == 0)
                entries.Add(new DiagnosticLine(step, step > 2900 ? "NonFinite" : "UpdateTooSmall", step > 2900 ? "GG0003" : "", [layers[0]], "cause", "advice", step > 2900 ? "Warning" : "Info"));
        }
        var run = new RunLog("huge", entries);

        string html = HtmlReport.Render([run]);

        long bytes = Encoding.UTF8.GetByteCount(html);
        Assert.True(bytes < 3_000_000, $"the report is {bytes:N0} bytes");
        var page = Parse(html);
        var svgs = page.Descendants().Where(e => e.Name.LocalName == "svg").ToList();
        Assert.Equal(2, svgs.Count);
        Assert.Contains("12 of 300 layers", svgs[0].Value, StringComparison.Ordinal);
        Assert.Contains("downsampled: each point the largest of 8 checks", svgs[0].Value, StringComparison.Ordinal);
        Assert.Contains("downsampled: each cell the largest of 8 checks", svgs[1].Value, StringComparison.Ordinal);
        var timeline = page.Descendants(Xhtml + "table").Last().Elements(Xhtml + "tr").Skip(1).ToList();
        Assert.Equal(HtmlReport.MaxTimelineRows, timeline.Count);
        Assert.Contains($"The first {HtmlReport.MaxTimelineRows} of {Steps / 3} diagnostics; the log holds the other {Steps / 3 - HtmlReport.MaxTimelineRows} (766 UpdateTooSmall, 34 NonFinite)", html, StringComparison.Ordinal);
        Assert.Equal("exploding", run.Verdict); // the first warning decides, not the earlier early signs
    }

    [Fact]
    public void The_timeline_links_each_diagnostic_to_its_rule_page_with_the_analyzers_base()
    {
        string root = RepositoryRoot();
        string helpLinks = File.ReadAllText(Path.Combine(root, "src", "GradientGuard.Analyzers", "Infrastructure", "HelpLinks.cs"));
        Assert.Contains($"Base = \"{RuleLinks.Base}\";", helpLinks, StringComparison.Ordinal);
        var run = Run("linked", [Check(1, ("fc1", 1e-9), ("fc2", 1.0))],
            new DiagnosticLine(1, "Vanishing", "GG0001", ["fc1"], "saturated Sigmoid", "use ReLU"),
            new DiagnosticLine(1, "LossStalled", "", [], "flat loss", "raise the learning rate", "Info"));

        var page = Parse(HtmlReport.Render([run]));

        var rows = page.Descendants(Xhtml + "h3").Single(h => h.Value == "Diagnostics timeline").ElementsAfterSelf(Xhtml + "table").First().Elements(Xhtml + "tr").Skip(1).ToList();
        var link = Assert.Single(rows[0].Descendants(Xhtml + "a"));
        Assert.Equal(RuleLinks.Base + "GG0001.md", (string?)link.Attribute("href"));
        Assert.True(File.Exists(Path.Combine(root, "docs", "rules", "GG0001.md")));
        Assert.Empty(rows[1].Descendants(Xhtml + "a")); // no rule applies: no link, no empty brackets
        Assert.Equal(new[] { "1", "warning", "Vanishing" }, rows[0].Elements().Take(3).Select(td => td.Value));
        Assert.Equal(new[] { "1", "early sign", "LossStalled" }, rows[1].Elements().Take(3).Select(td => td.Value));
        // Every link of the page is a rule page or a place in the page itself: nothing is loaded from elsewhere.
        Assert.All(page.Descendants(Xhtml + "a"), a => Assert.Matches(@"^(#run-|https://github\.com/gradientguard/gradientguard/blob/main/docs/rules/GG\d{4}\.md$)", (string?)a.Attribute("href")));
    }

    [Fact]
    public void Verdicts_know_every_kind_and_severity_and_read_logs_written_before_severities()
    {
        var old = (DiagnosticLine)RunLog.ParseLine("""{"type":"diagnostic","step":7,"kind":"Exploding","ruleId":"GG0003","layers":["fc1"],"cause":"c","advice":"a"}""")!;
        var info = (DiagnosticLine)RunLog.ParseLine("""{"type":"diagnostic","step":3,"kind":"DeadUnits","severity":"Info","ruleId":"GG0002","layers":["fc1"],"cause":"c","advice":"a"}""")!;
        var sink = new DiagnosticLine(1, "SinkFailure", "", [], "disk full", "free space");

        Assert.Equal(DiagnosticLine.Warning, old.Severity);
        Assert.False(old.IsEarlySign);
        Assert.True(info.IsEarlySign);
        Assert.StartsWith("Early sign: DeadUnits at step 3", info.ToString(), StringComparison.Ordinal);
        Assert.Equal(("healthy", "healthy"), Verdict(sink));
        Assert.Equal(("early sign: dead units", "info"), Verdict(sink, info));
        Assert.Equal(("exploding", "warning"), Verdict(info, old)); // a later warning outranks an early sign
        Assert.Equal(("exploding", "warning"), Verdict(new DiagnosticLine(2, "NonFinite", "GG0003", ["fc1"], "NaN", "clip")));
        Assert.Equal(("loss oscillating", "warning"), Verdict(new DiagnosticLine(2, "LossOscillating", "", [], "c", "a")));
        Assert.Equal(("updates too large", "warning"), Verdict(new DiagnosticLine(2, "UpdateTooLarge", "", ["fc1"], "c", "a")));
        Assert.Equal(("saturated activations", "warning"), Verdict(new DiagnosticLine(2, "Saturation", "GG0001", ["fc1"], "c", "a")));
        Assert.Equal(("early sign: poor initialization", "info"), Verdict(new DiagnosticLine(2, "PoorInitialization", "GG0002", ["fc1"], "c", "a", "Info")));
        Assert.Equal(("some future kind", "warning"), Verdict(new DiagnosticLine(2, "SomeFutureKind", "", [], "c", "a")));
        var error = Assert.Throws<InvalidDataException>(() => RunLog.ParseLine("""{"type":"diagnostic","step":3,"kind":"DeadUnits","severity":2,"ruleId":"","layers":[],"cause":"c","advice":"a"}"""));
        Assert.Contains("\"severity\" is not a string", error.Message, StringComparison.Ordinal);
    }

    private static (string Verdict, string Severity) Verdict(params DiagnosticLine[] diagnostics)
    {
        var run = Run("r", [Check(1, ("fc1", 1.0))], diagnostics);
        return (run.Verdict, run.VerdictSeverity);
    }

    private static RunLog Run(string name, IReadOnlyList<CheckLine> checks, params DiagnosticLine[] diagnostics) =>
        new(name, checks.Cast<LogEntry>().Concat(diagnostics));

    private static CheckLine Check(long step, params (string Layer, double Norm)[] layers) =>
        new(step, Math.Sqrt(layers.Sum(l => l.Norm * l.Norm)), 1.0, layers.ToDictionary(l => l.Layer, l => l.Norm));

    private static Cell[] Row(Cell[,] cells, int row) => Enumerable.Range(0, cells.GetLength(1)).Select(c => cells[row, c]).ToArray();

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static string RepositoryRoot() =>
        typeof(ReportTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
}
