using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradientGuard.Reporting;
using Spectre.Console;

namespace GradientGuard.Demo;

/// <summary>What the user sees in the terminal, through Spectre.Console; plain text (no escape codes) when redirected.</summary>
internal sealed class ConsoleView
{
    private readonly IAnsiConsole console;

    public ConsoleView()
    {
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (Console.IsOutputRedirected)
            console.Profile.Width = 160; // a log file has no terminal width; keep the verdict table readable
    }

    public void StartRun(Scenario scenario) =>
        console.Write(new Rule($"[bold]{scenario.Name.EscapeMarkup()}[/]: {scenario.Description.EscapeMarkup()} (expect {scenario.Expected})").LeftJustified());

    /// <summary>Step, loss and a bar per layer: the length is the gradient norm on a log scale, so vanishing shows as short bars at the input side.</summary>
    public void Progress(GradientReport report)
    {
        console.Write(new Text(string.Format(CultureInfo.InvariantCulture, "step {0}  loss {1:G4}  global gradient norm {2:G3}", report.Step, report.Loss, report.GlobalNorm), new Style(decoration: Decoration.Bold)));
        console.WriteLine();
        var chart = new BarChart().Width(72);
        foreach (var layer in report.Layers)
        {
            double norm = layer.GradientNorm;
            // log10 from 1e-12 (bar of 0) upward; a NaN/Infinity layer gets a full red bar.
            double value = double.IsFinite(norm) ? Math.Max(0, Math.Log10(Math.Max(norm, 1e-12)) + 12) : 16;
            chart.AddItem(string.Format(CultureInfo.InvariantCulture, "{0,-6} {1,9:G2}", layer.Name, norm), Math.Round(value, 1), double.IsFinite(norm) ? Color.Green : Color.Red);
        }
        chart.ShowValues = false;
        console.Write(chart);
    }

    public void Diagnostic(GradientDiagnostic diagnostic) =>
        console.MarkupLine($"[bold red]![/] {diagnostic.ToString().EscapeMarkup()}");

    public void Verdicts(IReadOnlyList<(Scenario Scenario, RunLog Log)> runs)
    {
        var table = new Table().AddColumns("run", "verdict", "expected", "first diagnostic", "cause", "fix");
        foreach (var (scenario, log) in runs)
        {
            var first = log.FirstIssue;
            string verdict = log.Verdict == scenario.Expected ? log.Verdict : $"{log.Verdict} (!)";
            table.AddRow(new Text(scenario.Name), new Text(verdict), new Text(scenario.Expected), new Text(first is null ? "-" : $"step {first.Step}"),
                new Text(first?.Cause ?? ""), new Text(first is null ? "" : $"{first.Advice} [{first.RuleId}]"));
        }
        console.Write(table);
    }

    public void Line(string text) => console.WriteLine(text);
}
