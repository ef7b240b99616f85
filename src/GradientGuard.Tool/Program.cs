using System;
using System.CommandLine;
using GradientGuard.Tool;

// gradientguard: report, summary and watch over the monitor's JSON Lines logs. Exit codes are in ExitCodes.
var logs = new Argument<string[]>("logs") { Description = "JSON Lines logs written by the monitor (GradientMonitorOptions.JsonLinesPath)", Arity = ArgumentArity.OneOrMore };
var output = new Option<string>("--output", "-o") { Description = "Where to write the HTML report", DefaultValueFactory = _ => "report.html" };
var report = new Command("report", "Render a self-contained HTML report (verdicts, gradient-flow charts, heat maps, diagnostics) of one or more runs") { logs, output };
report.SetAction(parse => Verbs.Report(parse.GetValue(logs)!, parse.GetValue(output)!));

var summaryLogs = new Argument<string[]>("logs") { Description = logs.Description, Arity = ArgumentArity.OneOrMore };
var summary = new Command("summary", "Print the verdict table and every diagnostic of one or more runs") { summaryLogs };
summary.SetAction(parse => Verbs.Summary(parse.GetValue(summaryLogs)!));

var watchLog = new Argument<string>("log") { Description = "The log of a training that is running (or about to write it)" };
var untilIdle = new Option<double?>("--until-idle")
{
    Description = "Stop (and print the verdict) once the log has not grown for this many seconds: for unattended runs, where no one presses Ctrl+C",
    HelpName = "seconds",
};
untilIdle.Validators.Add(result =>
{
    if (result.GetValueOrDefault<double?>() is double seconds && !(double.IsFinite(seconds) && seconds > 0))
        result.AddError($"--until-idle must be a positive number of seconds, was {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
});
var watch = new Command("watch", "Follow a log while the training writes it: per-layer bars and diagnostics as they arrive; Ctrl+C (or --until-idle) stops and prints the verdict") { watchLog, untilIdle };
watch.SetAction((parse, cancel) => Verbs.WatchAsync(parse.GetValue(watchLog)!, parse.GetValue(untilIdle) is double idle ? TimeSpan.FromSeconds(idle) : null, cancel));

var root = new RootCommand("gradientguard: reports, summaries and a live view of training runs from GradientGuard's JSON Lines logs") { report, summary, watch };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("Try 'gradientguard --help'.");
    return ExitCodes.Usage;
}
return await parsed.InvokeAsync();
