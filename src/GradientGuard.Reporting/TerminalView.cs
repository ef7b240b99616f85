using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Spectre.Console;

namespace GradientGuard.Reporting;

/// <summary>
/// What the demo and the gradientguard tool show in the terminal, through Spectre.Console: per-layer bars, diagnostics
/// and the verdict table. Plain text (no escape codes, 160 columns) when the output is redirected.
/// </summary>
public sealed class TerminalView
{
    private readonly IAnsiConsole console;

    /// <summary>A view that writes to <paramref name="output"/> (the console's standard output by default).</summary>
    public TerminalView(TextWriter? output = null)
    {
        bool plain = output is not null || Console.IsOutputRedirected;
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(output ?? Console.Out),
        });
        if (plain)
            console.Profile.Width = 160; // a log file has no terminal width; keep the verdict table readable
    }

    /// <summary>A rule across the terminal with a bold title.</summary>
    public void Heading(string title, string detail = "") =>
        console.Write(new Rule($"[bold]{title.EscapeMarkup()}[/]" + (detail.Length > 0 ? $": {detail.EscapeMarkup()}" : "")).LeftJustified());

    /// <summary>Step, loss and a bar per layer: the length is the gradient norm on a log scale, so vanishing shows as short bars at the input side.</summary>
    public void Bars(CheckLine check)
    {
        string loss = check.Loss is { } l ? l.ToString("G4", CultureInfo.InvariantCulture) : "-";
        console.Write(new Text(string.Format(CultureInfo.InvariantCulture, "step {0}  loss {1}  global gradient norm {2:G3}", check.Step, loss, check.GlobalNorm), new Style(decoration: Decoration.Bold)));
        console.WriteLine();
        var chart = new BarChart().Width(72);
        foreach (var (name, norm) in check.GradientNorms)
        {
            // log10 from 1e-12 (bar of 0) upward; a NaN/Infinity layer gets a full red bar.
            double value = double.IsFinite(norm) ? Math.Max(0, Math.Log10(Math.Max(norm, 1e-12)) + 12) : 16;
            chart.AddItem(string.Format(CultureInfo.InvariantCulture, "{0,-6} {1,9:G2}", name, norm), Math.Round(value, 1), double.IsFinite(norm) ? Color.Green : Color.Red);
        }
        chart.ShowValues = false;
        console.Write(chart);
    }

    /// <summary>A diagnostic as it fires: a red mark and its text.</summary>
    public void Diagnostic(string text) => console.MarkupLine($"[bold red]![/] {text.EscapeMarkup()}");

    /// <summary>A diagnostic as it fires: "!" (red) for a warning, "i" (yellow) for an early sign, then its text.</summary>
    public void Diagnostic(DiagnosticLine diagnostic)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        console.MarkupLine((diagnostic.IsEarlySign ? "[bold yellow]i[/] " : "[bold red]![/] ") + diagnostic.ToString().EscapeMarkup());
    }

    /// <summary>
    /// One row per run: verdict (early signs say so), the diagnostic that decides it, cause and fix; with an "expected" column when
    /// <paramref name="expected"/> gives each run's expected verdict (a verdict that differs is marked "(!)").
    /// </summary>
    public void Verdicts(IReadOnlyList<RunLog> runs, Func<RunLog, string>? expected = null)
    {
        var table = new Table().AddColumns("run", "verdict");
        if (expected is not null)
            table.AddColumn("expected");
        table.AddColumns("first diagnostic", "cause", "fix");
        foreach (var run in runs)
        {
            var first = run.FirstIssue;
            var cells = new List<Text> { new(run.Name) };
            if (expected is null)
            {
                cells.Add(new Text(run.Verdict));
            }
            else
            {
                string wanted = expected(run);
                cells.Add(new Text(run.Verdict == wanted ? run.Verdict : $"{run.Verdict} (!)"));
                cells.Add(new Text(wanted));
            }
            cells.Add(new Text(first is null ? "-" : $"step {first.Step}"));
            cells.Add(new Text(first?.Cause ?? ""));
            cells.Add(new Text(first is null ? "" : first.Advice + (first.RuleId.Length > 0 ? $" [{first.RuleId}]" : "")));
            table.AddRow(cells);
        }
        console.Write(table);
    }

    /// <summary>A line of plain text.</summary>
    public void Line(string text) => console.WriteLine(text);
}
