using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradientGuard.Output;

/// <summary>
/// The sinks the options ask for, opened together (if one cannot be opened, those already open are closed and the
/// error is thrown: Attach fails as a whole). Publishing never throws: a sink that throws is closed, its failure
/// becomes a <see cref="GradientIssueKind.SinkFailure"/> diagnostic, raised once, that the other sinks publish too.
/// </summary>
internal sealed class ReportSinks : IDisposable
{
    private readonly List<IReportSink> sinks = new();

    private ReportSinks()
    {
    }

    public static ReportSinks Open(GradientMonitorOptions options, nn.Module model)
    {
        var opened = new ReportSinks();
        try
        {
            if (options.Logger is { } logger)
                opened.sinks.Add(new DiagnosticLogging(logger));
            if (options.JsonLinesPath is { } path)
                opened.sinks.Add(new JsonLinesLog(path));
            if (options.TensorBoardLogDir is { } folder)
                opened.sinks.Add(new TensorBoardLog(folder));
            if (options.EmitMetrics)
                opened.sinks.Add(new GradientMetrics(options.MetricsLayerLimit));
            if (options.FindingsPath is { } findings)
                opened.sinks.Add(new FindingsFile(findings, model));
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>Writes the check and its diagnostics to every sink; returns the failures of this call, already published.</summary>
    public IReadOnlyList<GradientDiagnostic> Publish(GradientReport report)
    {
        var failures = new List<GradientDiagnostic>();
        foreach (var sink in sinks.ToArray())
        {
            Write(sink, report.Step, failures, s =>
            {
                s.WriteCheck(report);
                foreach (var diagnostic in report.Diagnostics)
                    s.WriteDiagnostic(diagnostic);
            });
        }
        // A failure is published to the sinks still open, which may fail in turn (and are reported as well).
        for (int i = 0; i < failures.Count; i++)
        {
            var failure = failures[i];
            foreach (var sink in sinks.ToArray())
                Write(sink, report.Step, failures, s => s.WriteDiagnostic(failure));
        }
        return failures;
    }

    public void Dispose()
    {
        foreach (var sink in sinks)
            CloseQuietly(sink);
        sinks.Clear();
    }

    // Any exception: a sink is a logger provider, a file system or a meter listener, none of which may stop training.
#pragma warning disable CA1031
    private void Write(IReportSink sink, long step, List<GradientDiagnostic> failures, Action<IReportSink> write)
    {
        try
        {
            write(sink);
        }
        catch (Exception e)
        {
            sinks.Remove(sink);
            CloseQuietly(sink);
            failures.Add(Failure(sink, e, step));
        }
    }

    private static void CloseQuietly(IReportSink sink)
    {
        try
        {
            sink.Dispose();
        }
        catch (Exception)
        {
            // Closing a sink that already failed fails again (a full disk rejects the buffered rest); it is reported.
        }
    }
#pragma warning restore CA1031

    private static GradientDiagnostic Failure(IReportSink sink, Exception error, long step) => new()
    {
        Kind = GradientIssueKind.SinkFailure,
        Step = step,
        Layers = Array.Empty<string>(),
        Measure = sink.Description,
        Value = double.NaN,
        Threshold = double.NaN,
        Cause = $"writing to it failed with {error.GetType().Name}: {error.Message}",
        Advice = "the monitor has closed this sink and goes on with the others; every diagnostic is still in GradientMonitor.Diagnostics " +
                 "and the DiagnosticRaised event. Free disk space, fix the path or its permissions, or give each monitor a file of its own",
        RuleId = "",
    };
}
