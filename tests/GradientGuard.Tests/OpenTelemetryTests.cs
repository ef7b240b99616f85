using System;
using System.Collections.Generic;
using System.Linq;
using GradientGuard.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradientGuard.Tests;

/// <summary>
/// The GradientGuard meter as an OpenTelemetry user sees it: a real MeterProvider (the SDK, an in-memory exporter)
/// over a short real training, exported names, units, tags and values checked against the monitor's own reports.
/// </summary>
[Collection(TorchSharpCollection.Name)]
public sealed class OpenTelemetryTests
{
    [Fact]
    public void A_meter_provider_exports_conventional_names_units_and_bounded_layer_tags()
    {
        manual_seed(23);
        var exported = new List<MetricSnapshot>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(GradientMonitor.MeterName)
            .AddInMemoryExporter(exported)
            .Build()!;
        // Four layers, two series: the one nearest the input and the one nearest the output keep theirs.
        using var model = nn.Sequential(
            ("otel_in", nn.Linear(4, 8)), ("relu_1", nn.ReLU()),
            ("otel_a", nn.Linear(8, 8)), ("relu_2", nn.ReLU()),
            ("otel_b", nn.Linear(8, 8)), ("relu_3", nn.ReLU()),
            ("otel_out", nn.Linear(8, 1)));
        using var monitor = model.MonitorGradients(new GradientMonitorOptions { MetricsLayerLimit = 2, SkipNonFiniteSteps = true });
        using var optimizer = optim.SGD(model.parameters(), learningRate: 1e-2);

        var healthy = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 4), steps: 6);
        provider.ForceFlush();
        var first = Latest(exported);
        exported.Clear();

        var last = healthy[^1];
        Assert.Equal(
            new[]
            {
                ("gradientguard.checks", "{check}"), ("gradientguard.gradient.norm", "1"), ("gradientguard.layer.gradient.norm", "1"),
            },
            first.Select(m => (m.Name, m.Unit)).OrderBy(m => m.Name, StringComparer.Ordinal));
        Assert.Equal(6, Single(first, "gradientguard.checks").GetSumLong());
        Assert.Equal(last.GlobalNorm, Single(first, "gradientguard.gradient.norm").GetGaugeLastValueDouble());
        var layerNorms = Points(first, "gradientguard.layer.gradient.norm").ToDictionary(p => Tag(p, "gradientguard.layer")!, p => p.GetGaugeLastValueDouble());
        double Norm(string layer) => last.Layers.Single(l => l.Name == layer).GradientNorm;
        Assert.Equal(new[] { "(other)", "otel_in", "otel_out" }, layerNorms.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Norm("otel_in"), layerNorms["otel_in"]);
        Assert.Equal(Norm("otel_out"), layerNorms["otel_out"]);
        // The layers without a series of their own, as one: the L2 norm of their gradients together.
        Assert.Equal(Math.Sqrt(Norm("otel_a") * Norm("otel_a") + Norm("otel_b") * Norm("otel_b")), layerNorms["(other)"], 12);

        // A step that turns NaN in a layer with its own series and in one under "(other)": skipped, counted, diagnosed.
        var poisoned = Training.Run(model, monitor, optimizer, _ => Training.Regression(16, 4), steps: 1, afterBackward: _ =>
        {
            ((Linear)model[0]).weight.grad![0, 0] = float.NaN;
            ((Linear)model[2]).weight.grad![0, 0] = float.PositiveInfinity;
        });
        provider.ForceFlush();
        var second = Latest(exported);

        Assert.True(poisoned[0].StepSkipped);
        Assert.Equal(7, Single(second, "gradientguard.checks").GetSumLong());
        Assert.Equal(1, Single(second, "gradientguard.steps.skipped").GetSumLong());
        Assert.Equal("{step}", second.Single(m => m.Name == "gradientguard.steps.skipped").Unit);
        var nonFinite = Points(second, "gradientguard.layer.gradient.non_finite_values").ToDictionary(p => Tag(p, "gradientguard.layer")!, p => p.GetSumLong());
        Assert.Equal(new Dictionary<string, long> { ["otel_in"] = 1, ["(other)"] = 1 }, nonFinite);
        Assert.Equal("{value}", second.Single(m => m.Name == "gradientguard.layer.gradient.non_finite_values").Unit);
        var diagnostic = Assert.Single(Points(second, "gradientguard.diagnostics"));
        Assert.Equal("{diagnostic}", second.Single(m => m.Name == "gradientguard.diagnostics").Unit);
        Assert.Equal(1, diagnostic.GetSumLong());
        Assert.Equal("non_finite", Tag(diagnostic, "gradientguard.diagnostic.kind"));
        Assert.Equal("warning", Tag(diagnostic, "gradientguard.diagnostic.severity"));
        Assert.Equal("otel_in", Tag(diagnostic, "gradientguard.layer"));
        Assert.Equal(GradientIssueKind.NonFinite, Assert.Single(poisoned[0].Diagnostics).Kind);
        Assert.True(double.IsNaN(Points(second, "gradientguard.layer.gradient.norm").Single(p => Tag(p, "gradientguard.layer") == "otel_in").GetGaugeLastValueDouble()));
        Assert.All(second, m => Assert.Equal(GradientMonitor.MeterName, m.MeterName));
    }

    [Fact]
    public void A_negative_layer_limit_is_refused_by_name()
    {
        using var model = Models.ReluMlp(inputs: 4, width: 8, hiddenLayers: 1);

        var error = Assert.Throws<ArgumentException>(() => model.MonitorGradients(new GradientMonitorOptions { MetricsLayerLimit = -1 }));

        Assert.Contains("MetricsLayerLimit", error.Message, StringComparison.Ordinal);
    }

    // One collection's snapshots (ForceFlush exports each metric once).
    private static List<MetricSnapshot> Latest(List<MetricSnapshot> exported) => exported.GroupBy(m => m.Name).Select(g => g.Last()).ToList();

    private static IEnumerable<MetricPoint> Points(List<MetricSnapshot> metrics, string name) => metrics.Single(m => m.Name == name).MetricPoints;

    private static MetricPoint Single(List<MetricSnapshot> metrics, string name) => Assert.Single(Points(metrics, name));

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
                return tag.Value as string;
        }
        return null;
    }
}
