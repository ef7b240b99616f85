using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace GradientGuard.Output;

/// <summary>
/// The <c>GradientGuard</c> meter: per-layer gradient norms, the global norm and a diagnostics counter, for
/// OpenTelemetry or any <see cref="MeterListener"/>. Recording costs nothing while nobody listens.
/// </summary>
internal sealed class GradientMetrics : IReportSink
{
    public const string MeterName = "GradientGuard";

    private readonly Meter meter = new(MeterName, typeof(GradientMetrics).Assembly.GetName().Version?.ToString());
    private readonly Histogram<double> layerNorm;
    private readonly Histogram<double> globalNorm;
    private readonly Counter<long> diagnostics;

    public GradientMetrics()
    {
        layerNorm = meter.CreateHistogram<double>("gradientguard.layer.gradient_norm", description: "L2 norm of one layer's gradients at a check");
        globalNorm = meter.CreateHistogram<double>("gradientguard.gradient_norm", description: "L2 norm of all watched gradients at a check");
        diagnostics = meter.CreateCounter<long>("gradientguard.diagnostics", description: "Gradient diagnostics raised");
    }

    public string Description => $"meter '{MeterName}' (a listener's callback)";

    public void WriteCheck(GradientReport report)
    {
        if (globalNorm.Enabled)
            globalNorm.Record(report.GlobalNorm);
        if (layerNorm.Enabled)
        {
            foreach (var layer in report.Layers)
                layerNorm.Record(layer.GradientNorm, new KeyValuePair<string, object?>("layer", layer.Name));
        }
    }

    public void WriteDiagnostic(GradientDiagnostic d) =>
        diagnostics.Add(1, new KeyValuePair<string, object?>("kind", d.Kind.ToString()), new KeyValuePair<string, object?>("rule", d.RuleId));

    public void Dispose() => meter.Dispose();
}
