using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;

namespace GradientGuard.Reporting;

/// <summary>
/// A self-contained HTML report of one or more runs: verdicts, for each run a gradient-flow chart and a heat map (inline
/// SVG), the diagnostics timeline (each linked to its rule's doc page) and the advice. No script, style sheet, font or
/// image from elsewhere: the only outside addresses are those links. Valid XML, so tools can parse it.
/// </summary>
public static class HtmlReport
{
    /// <summary>The most diagnostics a run's timeline lists; the log keeps them all, and the report says how many more there are.</summary>
    public const int MaxTimelineRows = 200;

    private const int MaxLayersNamed = 8;

    /// <summary>Writes the report for <paramref name="runs"/> to <paramref name="path"/>.</summary>
    public static void Write(IReadOnlyList<RunLog> runs, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        File.WriteAllText(path, Render(runs), Encoding.UTF8);
    }

    /// <summary>The report as a string.</summary>
    public static string Render(IReadOnlyList<RunLog> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8" />
            <title>GradientGuard report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1150px; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f4f4f4; }
            .healthy { color: #2e7d32; font-weight: bold; } .info { color: #9a6700; font-weight: bold; } .warning { color: #c62828; font-weight: bold; }
            .note { color: #555; }
            section { margin-top: 2.5em; border-top: 1px solid #ddd; }
            /* one block per heat-map cell, never blurred between them (inherited into the SVG's image uses) */
            .chart svg { image-rendering: pixelated; }
            </style>
            </head>
            <body>
            <h1>GradientGuard report</h1>
            <p class="note">One row per training run. The verdict is the first warning the monitor raised (or the first early
            sign when there was no warning); "healthy" means it raised neither. Each run below has its charts and every
            diagnostic in the order it was raised, linked to the rule whose quick fix applies the advice.</p>
            <table><tr><th>run</th><th>verdict</th><th>decided at</th><th>cause</th><th>fix</th></tr>

            """);
        foreach (var run in runs)
        {
            var first = run.FirstIssue;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"#{Id(run)}\">{E(run.Name)}</a></td><td class=\"{run.VerdictSeverity}\">{E(run.Verdict)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{(first is null ? "-" : $"step {first.Step}")}</td><td>{E(first?.Cause ?? "")}</td>")
                .Append("<td>").Append(first is null ? "" : E(first.Advice) + RuleLink(first.RuleId, " ")).Append("</td></tr>\n");
        }
        html.Append("</table>\n");

        for (int i = 0; i < runs.Count; i++)
            Section(html, runs[i], $"r{i}-");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Section(StringBuilder html, RunLog run, string ids)
    {
        int warnings = run.Diagnostics.Count(d => !d.IsEarlySign), earlySigns = run.Diagnostics.Count - warnings;
        string steps = run.Checks.Count == 0 ? "" : $" (steps {run.Checks[0].Step} to {run.Checks[^1].Step})";
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"{Id(run)}\">\n<h2>{E(run.Name)}: <span class=\"{run.VerdictSeverity}\">{E(run.Verdict)}</span></h2>\n")
            .Append(CultureInfo.InvariantCulture, $"<p>{Count(run.Checks.Count, "check")}{steps}, {Count(run.Layers.Count, "layer")}, ")
            .Append(CultureInfo.InvariantCulture, $"{Count(warnings, "warning")} and {Count(earlySigns, "early sign")}.</p>\n");
        if (run.Problems.Count > 0 || run.TruncatedLastLine is not null)
        {
            int skipped = run.Problems.Count + (run.TruncatedLastLine is null ? 0 : 1);
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\">{Count(skipped, "line")} of the log could not be read and {(skipped == 1 ? "is" : "are")} left out; the first: {E(run.Problems.Count > 0 ? run.Problems[0].ToString() : run.TruncatedLastLine!)}.</p>\n");
        }
        html.Append("<p class=\"note\">Gradient flow: each line is one layer's gradient norm at each check, on a log scale; a line that ")
            .Append("drops toward the input side is vanishing, one that shoots up is exploding. Dashed lines mark diagnostics, red crosses NaN/Infinity.</p>\n")
            .Append("<div class=\"chart\">").Append(GradientCharts.GradientFlow(run, ids + "flow-")).Append("</div>\n")
            .Append("<p class=\"note\">Heat map: one row per layer (input side at the top), one column per check; the colour is the ")
            .Append("gradient norm (log10). Red cells held NaN or Infinity; grey cells had no gradient (or exactly 0).</p>\n")
            .Append("<div class=\"chart\">").Append(GradientCharts.HeatMap(run, ids + "heat-")).Append("</div>\n");
        if (run.Diagnostics.Count > 0)
            Timeline(html, run);
        html.Append("</section>\n");
    }

    private static void Timeline(StringBuilder html, RunLog run)
    {
        html.Append("<h3>Diagnostics timeline</h3>\n<table><tr><th>step</th><th>severity</th><th>kind</th><th>layers</th><th>cause</th><th>fix</th><th>rule</th></tr>\n");
        foreach (var d in run.Diagnostics.Take(MaxTimelineRows))
        {
            string severity = d.IsEarlySign ? "info" : "warning";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{d.Step}</td><td class=\"{severity}\">{(d.IsEarlySign ? "early sign" : "warning")}</td><td>{E(d.Kind)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{E(Layers(d.Layers))}</td><td>{E(d.Cause)}</td><td>{E(d.Advice)}</td>")
                .Append("<td>").Append(d.RuleId.Length > 0 ? RuleLink(d.RuleId, "") : "-").Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        if (run.Diagnostics.Count > MaxTimelineRows)
        {
            var rest = run.Diagnostics.Skip(MaxTimelineRows).GroupBy(d => d.Kind).Select(g => $"{g.Count()} {g.Key}");
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The first {MaxTimelineRows} of {run.Diagnostics.Count} diagnostics; the log holds the other {run.Diagnostics.Count - MaxTimelineRows} ({E(string.Join(", ", rest))}).</p>\n");
        }
    }

    private static string RuleLink(string ruleId, string prefix) =>
        ruleId.Length == 0 ? "" : prefix + $"<a href=\"{E(RuleLinks.For(ruleId))}\">{E(ruleId)}</a>";

    private static string Layers(IReadOnlyList<string> layers) =>
        layers.Count <= MaxLayersNamed ? string.Join(", ", layers) : string.Join(", ", layers.Take(MaxLayersNamed)) + $" and {layers.Count - MaxLayersNamed} more";

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string Id(RunLog run) => "run-" + new string(run.Name.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
