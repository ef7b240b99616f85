using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;

namespace GradientGuard.Reporting;

/// <summary>
/// A self-contained HTML report of one or more runs: verdicts, for each run a gradient-flow chart and a heat map (inline
/// SVG), the diagnostics timeline and the advice. No external script, style sheet or font; valid XML, so tools can parse it.
/// </summary>
public static class HtmlReport
{
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
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8" />
            <title>GradientGuard report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
            .healthy { color: #2e7d32; } .vanishing { color: #1565c0; } .exploding { color: #c62828; } .dead-units { color: #ef6c00; }
            section { margin-top: 2.5em; }
            svg image { image-rendering: pixelated; }
            </style>
            </head>
            <body>
            <h1>GradientGuard report</h1>
            <table><tr><th>run</th><th>verdict</th><th>first diagnostic</th><th>cause</th><th>fix</th></tr>

            """);
        foreach (var run in runs)
        {
            var first = run.FirstIssue;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"#{Id(run)}\">{E(run.Name)}</a></td><td class=\"{run.Verdict}\">{run.Verdict}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{(first is null ? "-" : $"step {first.Step}")}</td><td>{E(first?.Cause ?? "")}</td><td>{E(first is null ? "" : $"{first.Advice} [{first.RuleId}]")}</td></tr>\n");
        }
        html.Append("</table>\n");

        foreach (var run in runs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"{Id(run)}\">\n<h2>{E(run.Name)}: <span class=\"{run.Verdict}\">{run.Verdict}</span></h2>\n")
                .Append(CultureInfo.InvariantCulture, $"<p>{run.Checks.Count} checks, {run.Layers.Count} layers, {run.Diagnostics.Count} diagnostics.</p>\n")
                .Append("<div class=\"chart\">").Append(GradientCharts.GradientFlow(run)).Append("</div>\n")
                .Append("<div class=\"chart\">").Append(GradientCharts.HeatMap(run)).Append("</div>\n");
            if (run.Diagnostics.Count > 0)
            {
                html.Append("<h3>Diagnostics</h3>\n<table><tr><th>step</th><th>kind</th><th>rule</th><th>layers</th><th>cause</th><th>advice</th></tr>\n");
                foreach (var d in run.Diagnostics)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<tr><td>{d.Step}</td><td>{E(d.Kind)}</td><td>{E(d.RuleId)}</td><td>{E(string.Join(", ", d.Layers))}</td>")
                        .Append(CultureInfo.InvariantCulture, $"<td>{E(d.Cause)}</td><td>{E(d.Advice)}</td></tr>\n");
                }
                html.Append("</table>\n");
            }
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string Id(RunLog run) => "run-" + new string(run.Name.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
