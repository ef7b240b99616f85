using System;
using System.IO;
using System.Linq;
using GradientGuard.Demo;
using GradientGuard.Reporting;

// The main job: five classic runs under GradientGuard. (`gradientguard report LOG.jsonl...`, the tool, renders the report from any run's log.)
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

var view = new TerminalView();
string output = Path.GetFullPath(arguments.Output ?? "runs");
Directory.CreateDirectory(output);
var scenarios = Scenarios.All.Where(s => arguments.Scenarios.Count == 0 || arguments.Scenarios.Contains(s.Name)).ToList();
var runs = scenarios.Select(s => RunLog.Load(ScenarioRunner.Run(s, arguments, output, view))).ToList();
string Expected(RunLog run) => scenarios.Single(s => s.Name == run.Name).Expected;

view.Verdicts(runs, Expected);
HtmlReport.Write(runs, Path.Combine(output, "report.html"));
view.Line($"Report: {Path.Combine(output, "report.html")}");
view.Line($"Logs (JSON Lines): {output}; TensorBoard: tensorboard --logdir {Path.Combine(output, "tensorboard")}");
return runs.All(r => r.Verdict == Expected(r)) ? 0 : 1;
