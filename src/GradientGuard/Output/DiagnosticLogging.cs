using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace GradientGuard.Output;

/// <summary>
/// Each diagnostic as one structured log event (EventId 1 "GradientIssue"): Error for non-finite values and sink
/// failures, Information for an early sign (<see cref="IssueSeverity.Info"/>), Warning otherwise. The message is the diagnostic's text; every field is also a structured property.
/// </summary>
internal sealed class DiagnosticLogging : IReportSink
{
    private static readonly EventId GradientIssue = new(1, nameof(GradientIssue));
    private readonly ILogger logger;

    public DiagnosticLogging(ILogger logger) => this.logger = logger;

    public string Description => $"logger {logger.GetType().Name}";

    public void WriteCheck(GradientReport report)
    {
    }

    public void WriteDiagnostic(GradientDiagnostic d)
    {
        var level = d.Kind is GradientIssueKind.NonFinite or GradientIssueKind.SinkFailure ? LogLevel.Error
            : d.Severity == IssueSeverity.Info ? LogLevel.Information
            : LogLevel.Warning;
        if (logger.IsEnabled(level))
            logger.Log(level, GradientIssue, new Fields(d), null, static (fields, _) => fields.ToString());
    }

    public void Dispose()
    {
    }

    /// <summary>The diagnostic's fields as the structured state loggers read (the message template comes last, by convention).</summary>
    private sealed class Fields : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly GradientDiagnostic d;
        private readonly KeyValuePair<string, object?>[] fields;

        public Fields(GradientDiagnostic d)
        {
            this.d = d;
            fields = new KeyValuePair<string, object?>[]
            {
                new("Kind", d.Kind), new("Severity", d.Severity), new("Step", d.Step), new("Layers", string.Join(", ", d.Layers)), new("Measure", d.Measure),
                new("Value", d.Value), new("Threshold", d.Threshold), new("Cause", d.Cause), new("Advice", d.Advice),
                new("RuleId", d.RuleId), new("{OriginalFormat}", "{Kind} at step {Step} in {Layers}: {Measure} {Value} (threshold {Threshold}). Cause: {Cause}. Fix: {Advice} [{RuleId}]"),
            };
        }

        public int Count => fields.Length;

        public KeyValuePair<string, object?> this[int index] => fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)fields).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => d.ToString();
    }
}
