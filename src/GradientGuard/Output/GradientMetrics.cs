using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Text;
using GradientGuard.Measurement;

namespace GradientGuard.Output;

/// <summary>
/// The <c>GradientGuard</c> meter, named and tagged by OpenTelemetry's semantic-convention rules (lowercase dotted names
/// under <c>gradientguard.</c>, UCUM units, counters for counts, gauges for norms, namespaced attributes) so that any
/// OpenTelemetry exporter or <see cref="MeterListener"/> takes it as it is. docs/opentelemetry.md lists the instruments.
/// Recording costs next to nothing while nobody listens.
/// </summary>
/// <remarks>
/// Norms are gauges, the value of the latest check: a backend scrapes every few seconds while a check runs many times a
/// second, and what a dashboard plots is the norm's course over the run (a spike between two scrapes is what the
/// diagnostics counter is for). They are observable gauges, not .NET 9's <c>Gauge&lt;T&gt;</c>: the package targets
/// .NET 8, and both export the same last value per series. Each layer is a series of its own up to
/// <see cref="GradientMonitorOptions.MetricsLayerLimit"/>; see <see cref="LayerSeries"/> for which keep theirs.
/// </remarks>
internal sealed class GradientMetrics : IReportSink
{
    public const string MeterName = "GradientGuard";

    /// <summary>The attribute that names a layer (or <see cref="OtherLayers"/>).</summary>
    public const string LayerTag = "gradientguard.layer";

    /// <summary>The attribute that names a diagnostic's kind, in snake_case ("non_finite").</summary>
    public const string KindTag = "gradientguard.diagnostic.kind";

    /// <summary>The attribute that names a diagnostic's severity ("info", "warning").</summary>
    public const string SeverityTag = "gradientguard.diagnostic.severity";

    /// <summary>The layer tag of every layer beyond the limit, taken together.</summary>
    public const string OtherLayers = "(other)";

    private readonly Meter meter = new(MeterName, typeof(GradientMetrics).Assembly.GetName().Version?.ToString());
    private readonly Counter<long> checks;
    private readonly Counter<long> diagnostics;
    private readonly Counter<long> nonFiniteValues;
    private readonly Counter<long> clippedSteps;
    private readonly Counter<long> skippedSteps;
    private readonly ObservableGauge<double> globalNorm;
    private readonly ObservableGauge<double> layerNorm;
    private readonly LayerSeries series;

    // What the gauges report when collected (on the exporter's thread): replaced whole at each check, never changed.
    private volatile Measurement<double>[] latestGlobal = Array.Empty<Measurement<double>>();
    private volatile Measurement<double>[] latestLayers = Array.Empty<Measurement<double>>();

    public GradientMetrics(int layerLimit)
    {
        series = new LayerSeries(layerLimit);
        checks = meter.CreateCounter<long>("gradientguard.checks", "{check}", "Gradient checks measured");
        diagnostics = meter.CreateCounter<long>("gradientguard.diagnostics", "{diagnostic}", "Diagnostics raised, by kind, severity and the first layer they name");
        nonFiniteValues = meter.CreateCounter<long>("gradientguard.layer.gradient.non_finite_values", "{value}", "NaN or Infinity gradient values found, by layer");
        clippedSteps = meter.CreateCounter<long>("gradientguard.steps.clipped", "{step}", "Steps whose gradients the clip action scaled down");
        skippedSteps = meter.CreateCounter<long>("gradientguard.steps.skipped", "{step}", "Steps the skip action zeroed because of NaN or Infinity");
        globalNorm = meter.CreateObservableGauge("gradientguard.gradient.norm", () => latestGlobal, "1", "L2 norm of all watched gradients at the latest check");
        layerNorm = meter.CreateObservableGauge("gradientguard.layer.gradient.norm", () => latestLayers, "1", "L2 norm of one layer's gradients at the latest check");
    }

    public string Description => $"meter '{MeterName}' (a listener's callback)";

    public void WriteCheck(GradientReport report)
    {
        checks.Add(1);
        if (report.Clipped)
            clippedSteps.Add(1);
        if (report.StepSkipped)
            skippedSteps.Add(1);
        if (globalNorm.Enabled)
            latestGlobal = [new Measurement<double>(report.GlobalNorm)];
        series.Admit(report.Layers); // also when nobody listens yet: the diagnostics counter tags layers by it
        if (!layerNorm.Enabled && !nonFiniteValues.Enabled)
            return;

        var norms = new List<Measurement<double>>(Math.Min(report.Layers.Count, series.Limit + 1));
        NormSum other = default;
        long otherNonFinite = 0;
        bool anyOther = false;
        foreach (var layer in report.Layers)
        {
            string? tag = series.Own(layer.Name);
            if (tag is null)
            {
                other.Add(layer.GradientNorm);
                otherNonFinite += layer.NonFiniteCount;
                anyOther = true;
                continue;
            }
            norms.Add(new Measurement<double>(layer.GradientNorm, Tag(LayerTag, tag)));
            if (layer.NonFiniteCount > 0)
                nonFiniteValues.Add(layer.NonFiniteCount, Tag(LayerTag, tag));
        }
        if (anyOther)
        {
            // The other layers' norm taken together, as the global norm takes all of them: sqrt of the sum of squares.
            norms.Add(new Measurement<double>(other.Value, Tag(LayerTag, OtherLayers)));
            if (otherNonFinite > 0)
                nonFiniteValues.Add(otherNonFinite, Tag(LayerTag, OtherLayers));
        }
        latestLayers = norms.ToArray();
    }

    public void WriteDiagnostic(GradientDiagnostic d)
    {
        if (!diagnostics.Enabled)
            return;
        var kind = Tag(KindTag, SnakeCase(d.Kind.ToString()));
        var severity = Tag(SeverityTag, d.Severity == IssueSeverity.Info ? "info" : "warning");
        if (d.Layers.Count > 0)
            diagnostics.Add(1, kind, severity, Tag(LayerTag, series.Own(d.Layers[0]) ?? OtherLayers));
        else
            diagnostics.Add(1, kind, severity); // the loss or a sink: no layer to name
    }

    public void Dispose() => meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    // OpenTelemetry's attribute values for enumerations are snake_case: NonFinite -> non_finite.
    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                text.Append('_');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    /// <summary>
    /// Which layers are series of their own, so that a model with hundreds of layers cannot flood a metrics backend.
    /// The choice is made once, at the first check that measured layers, and never changes (a series never moves to
    /// "(other)" and back): of that check's layers in registration order, the ⌈limit/2⌉ nearest the input and the
    /// ⌊limit/2⌋ nearest the output keep theirs, since vanishing shows first at the input side and explosions at the
    /// output side (or recurrent layers, which sit at the ends). A layer first seen later (added, or without gradient
    /// at that check) gets a series while there is room under the limit. Every other layer is in "(other)".
    /// </summary>
    internal sealed class LayerSeries
    {
        private readonly HashSet<string> own = new(StringComparer.Ordinal);
        private readonly HashSet<string> seen = new(StringComparer.Ordinal);

        public LayerSeries(int limit) => Limit = limit;

        public int Limit { get; }

        /// <summary>Takes the layers of a check into account (only its training thread calls this).</summary>
        public void Admit(IReadOnlyList<LayerGradient> layers)
        {
            if (seen.Count == 0 && layers.Count > 0)
            {
                int inputSide = (Limit + 1) / 2, outputSide = Limit / 2;
                for (int i = 0; i < layers.Count; i++)
                {
                    if (i < inputSide || i >= layers.Count - outputSide)
                        own.Add(layers[i].Name);
                    seen.Add(layers[i].Name);
                }
                return;
            }
            foreach (var layer in layers)
            {
                if (seen.Add(layer.Name) && own.Count < Limit)
                    own.Add(layer.Name);
            }
        }

        /// <summary>The layer's own tag value, or null when it is counted under "(other)".</summary>
        public string? Own(string layer) => own.Contains(layer) ? layer : null;
    }
}
