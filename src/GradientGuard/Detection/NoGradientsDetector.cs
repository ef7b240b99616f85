using System;

namespace GradientGuard.Detection;

/// <summary>
/// A check that finds no gradient at all has nothing to measure, and a monitor that says nothing then looks like one
/// that found nothing wrong. Said once, and again only after a check that had gradients.
/// </summary>
internal sealed class NoGradientsDetector : IGradientDetector
{
    private bool inEpisode;

    public GradientDiagnostic? Inspect(CheckContext context)
    {
        if (context.Snapshot.Layers.Count > 0)
        {
            inEpisode = false;
            return null;
        }
        if (inEpisode)
            return null;
        inEpisode = true;
        return new GradientDiagnostic
        {
            Kind = GradientIssueKind.NoGradients,
            Step = context.Step,
            Layers = Array.Empty<string>(),
            Measure = "watched parameters with a gradient",
            Value = 0,
            Threshold = double.NaN,
            Cause = "no watched parameter has a gradient, so there is nothing to measure: Check() ran before loss.backward(), " +
                    "every watched parameter is frozen (requires_grad false), or zero_grad() set the gradients to null after backward()",
            Advice = "call Check(loss) after loss.backward() and before optimizer.step(), or let a monitor-wrapped optimizer (WithMonitor) check in its step()",
            RuleId = "",
        };
    }
}
