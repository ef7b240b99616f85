using System;
using System.IO;
using System.Linq;
using GradientGuard.Demo;
using GradientGuard.Reporting;

// The main job: four classic runs under GradientGuard; or `report LOG.jsonl...` to render a report from any run's log.
DemoArguments arguments;
try
{
    arguments = DemoArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message + " Try --help.");
    return 2;
}
if (arguments.Help)
{
    Console.WriteLine(DemoArguments.Usage);
    return 0;
}

var view = new ConsoleView();
if (arguments.ReportOnly)
{
    string reportPath = arguments.Output ?? "report.html";
    HtmlReport.Write(arguments.Logs.Select(RunLog.Load).ToList(), reportPath);
    view.Line($"Report: {Path.GetFullPath(reportPath)}");
    return 0;
}

string output = Path.GetFullPath(arguments.Output ?? "runs");
Directory.CreateDirectory(output);
var scenarios = Scenarios.All.Where(s => arguments.Scenarios.Count == 0 || arguments.Scenarios.Contains(s.Name)).ToList();
var runs = scenarios.Select(s => (Scenario: s, Log: RunLog.Load(ScenarioRunner.Run(s, arguments, output, view)))).ToList();

view.Verdicts(runs);
HtmlReport.Write(runs.Select(r => r.Log).ToList(), Path.Combine(output, "report.html"));
view.Line($"Report: {Path.Combine(output, "report.html")}");
view.Line($"Logs (JSON Lines): {output}; TensorBoard: tensorboard --logdir {Path.Combine(output, "tensorboard")}");
return runs.All(r => r.Log.Verdict == r.Scenario.Expected) ? 0 : 1;
