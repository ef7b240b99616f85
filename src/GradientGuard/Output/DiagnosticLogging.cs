using Microsoft.Extensions.Logging;

namespace GradientGuard.Output;

/// <summary>Each diagnostic as one structured log event: Warning for vanishing/exploding, Error for non-finite values.</summary>
internal static partial class DiagnosticLogging
{
    public static void Log(ILogger logger, GradientDiagnostic d)
    {
        var level = d.Kind == GradientIssueKind.NonFinite ? LogLevel.Error : LogLevel.Warning;
        if (!logger.IsEnabled(level))
            return;
        string layers = string.Join(", ", d.Layers);
        GradientIssue(logger, level, d.Kind, d.Step, layers, d.Measure, d.Value, d.Threshold, d.Cause, d.Advice, d.RuleId);
    }

    [LoggerMessage(EventId = 1, EventName = "GradientIssue",
        Message = "{Kind} gradients at step {Step} in {Layers}: {Measure} {Value:G3} (threshold {Threshold:G3}). Cause: {Cause}. Fix: {Advice} [{RuleId}]")]
    private static partial void GradientIssue(ILogger logger, LogLevel level, GradientIssueKind kind, long step, string layers,
        string measure, double value, double threshold, string cause, string advice, string ruleId);
}
