using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GradientGuard.Reporting;

namespace GradientGuard.Tool;

/// <summary>What each command does, over <see cref="RunLog"/>, <see cref="HtmlReport"/> and <see cref="TerminalView"/>.</summary>
internal static class Verbs
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static int Report(IReadOnlyList<string> paths, string output)
    {
        if (ReadAll(paths) is not { } runs)
            return ExitCodes.Usage;
        HtmlReport.Write(runs, output);
        new TerminalView().Line($"Report: {Path.GetFullPath(output)}");
        return Outcome(runs);
    }

    public static int Summary(IReadOnlyList<string> paths)
    {
        if (ReadAll(paths) is not { } runs)
            return ExitCodes.Usage;
        var view = new TerminalView();
        view.Verdicts(runs);
        foreach (var run in runs)
        {
            view.Heading(run.Name, $"{run.Verdict}; {Count(run.Checks.Count, "check")}, {Count(run.Layers.Count, "layer")}, {Count(run.Diagnostics.Count, "diagnostic")}");
            foreach (var diagnostic in run.Diagnostics)
                view.Diagnostic(diagnostic);
        }
        return Outcome(runs);
    }

    /// <summary>
    /// Follows the log as the training appends to it: for each batch of new lines, the bars of its newest check and each
    /// diagnostic in order; a log that shrinks (a new run rewrote it) is followed from its start. Cancelling (Ctrl+C),
    /// or a log that has not grown for <paramref name="untilIdle"/>, prints the verdict of what arrived.
    /// </summary>
    public static async Task<int> WatchAsync(string path, TimeSpan? untilIdle, CancellationToken cancel)
    {
        if (!File.Exists(path))
            return Missing(path);
        var view = new TerminalView();
        var entries = new List<LogEntry>();
        var problems = new List<LogProblem>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var pending = new StringBuilder();
        int number = 0;
        string stops = untilIdle is { } idle ? FormattableString.Invariant($"stops when it has not grown for {idle.TotalSeconds:0.###} s, or on Ctrl+C") : "Ctrl+C stops";
        view.Heading(Path.GetFileNameWithoutExtension(path), $"watching {Path.GetFullPath(path)}; {stops}");
        var quiet = System.Diagnostics.Stopwatch.StartNew(); // since the log last grew (or the watch began)
        while (!cancel.IsCancellationRequested)
        {
            if (stream.Length < stream.Position)
            {
                view.Line("The log was rewritten (a new run); following it from the start.");
                stream.Position = 0;
                reader.DiscardBufferedData();
                pending.Clear();
                entries.Clear();
                problems.Clear();
                number = 0;
            }
            string arrived = await reader.ReadToEndAsync(cancel).ConfigureAwait(false);
            if (arrived.Length > 0)
                quiet.Restart();
            else if (quiet.Elapsed >= untilIdle)
            {
                view.Line(FormattableString.Invariant($"The log has not grown for {untilIdle.Value.TotalSeconds:0.###} s; stopping."));
                break;
            }
            pending.Append(arrived);
            CheckLine? newest = null;
            int end;
            while ((end = pending.ToString().IndexOf('\n', StringComparison.Ordinal)) >= 0)
            {
                string line = pending.ToString(0, end).TrimEnd('\r');
                pending.Remove(0, end + 1);
                Take(line, ref newest);
            }
            Show(ref newest);
            try
            {
                await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        // A last line without its end of line: taken if it is whole, else named (it was cut short, or is still being written).
        if (pending.ToString().Trim() is { Length: > 0 } rest)
        {
            CheckLine? last = null;
            Take(rest, ref last);
            Show(ref last);
        }
        var run = new RunLog(Path.GetFileNameWithoutExtension(path), entries, problems);
        view.Line($"Stopped after {Count(run.Checks.Count, "check")} and {Count(run.Diagnostics.Count, "diagnostic")}.");
        view.Verdicts([run]);
        return Outcome([run]);

        void Take(string line, ref CheckLine? newest)
        {
            number++;
            try
            {
                switch (RunLog.ParseLine(line))
                {
                    case CheckLine check:
                        entries.Add(check);
                        newest = check;
                        break;
                    case DiagnosticLine diagnostic:
                        entries.Add(diagnostic);
                        Show(ref newest);
                        view.Diagnostic(diagnostic);
                        break;
                }
            }
            catch (InvalidDataException e)
            {
                var problem = new LogProblem(path, number, e.Message);
                problems.Add(problem);
                Warn(problem);
            }
        }

        void Show(ref CheckLine? check)
        {
            if (check is not null)
                view.Bars(check);
            check = null;
        }
    }

    /// <summary>Every log, each with its skipped lines named on stderr; null (after saying why) when a log cannot be read at all.</summary>
    private static List<RunLog>? ReadAll(IReadOnlyList<string> paths)
    {
        var runs = new List<RunLog>();
        foreach (string path in paths)
        {
            if (!File.Exists(path) && path.StartsWith('-'))
            {
                // The verbs take any number of logs, so the parser hands an unknown option over as one.
                Console.Error.WriteLine($"error: unknown option '{path}'. Try 'gradientguard --help'.");
                return null;
            }
            if (!File.Exists(path))
            {
                Missing(path);
                return null;
            }
            try
            {
                runs.Add(RunLog.Read(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot read {path}: {e.Message}");
                return null;
            }
        }
        foreach (var problem in runs.SelectMany(r => r.Problems))
            Warn(problem);
        foreach (var run in runs.Where(r => r.TruncatedLastLine is not null))
            Console.Error.WriteLine($"warning: {run.TruncatedLastLine}.");
        return runs;
    }

    private static int Outcome(IReadOnlyList<RunLog> runs) =>
        runs.Any(r => r.Problems.Count > 0 || r.TruncatedLastLine is not null) ? ExitCodes.SkippedLines : ExitCodes.Success;

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static int Missing(string path)
    {
        Console.Error.WriteLine($"error: {path}: no such log file.");
        return ExitCodes.Usage;
    }

    private static void Warn(LogProblem problem) => Console.Error.WriteLine($"warning: {problem}; line skipped.");
}
